import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { networks } from 'bitcoinjs-lib';
import { addDescriptorChecksum, descriptorChecksum, stripDescriptorChecksum } from '../../watcher/descriptor-checksum.ts';
import { parseEscrowDescriptor, sortedMultisig } from '../../watcher/escrow.ts';

interface EscrowVectors {
  checksum: {
    valid: { description: string; descriptor: string; body: string }[];
    invalid: { description: string; descriptor: string; error: string }[];
  };
  escrow: {
    valid: { description: string; threshold: number; keys: string[]; witnessScript: string }[];
    invalid: { description: string; threshold: number; keys: string[]; error: string }[];
  };
  descriptor: { invalid: { description: string; descriptor: string; error: string }[] };
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/pegin-escrow.json', import.meta.url), 'utf8')) as EscrowVectors;
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

describe('descriptor checksum (BIP-380)', () => {
  for (const v of vectors.checksum.valid) {
    it(`accepts: ${v.description}`, () => {
      expect(stripDescriptorChecksum(v.descriptor)).to.equal(v.body);
    });
  }
  for (const v of vectors.checksum.invalid) {
    it(`rejects: ${v.description}`, () => {
      expect(() => stripDescriptorChecksum(v.descriptor)).to.throw(v.error);
    });
  }
  it('computes the published checksum of raw(deadbeef)', () => {
    expect(descriptorChecksum('raw(deadbeef)')).to.equal('89f8spxm');
    expect(addDescriptorChecksum('raw(deadbeef)')).to.equal('raw(deadbeef)#89f8spxm');
  });
});

describe('escrow: wsh(sortedmulti(k, keys))', () => {
  for (const v of vectors.escrow.valid) {
    it(`builds the witness script: ${v.description}`, () => {
      const escrow = sortedMultisig(v.threshold, v.keys.map(bytes));
      expect(hex(escrow.witnessScript)).to.equal(v.witnessScript);
      const reversed = sortedMultisig(v.threshold, [...v.keys].reverse().map(bytes));
      expect(reversed.descriptor).to.equal(escrow.descriptor);
    });
  }
  for (const v of vectors.escrow.invalid) {
    it(`rejects: ${v.description}`, () => {
      expect(() => sortedMultisig(v.threshold, v.keys.map(bytes))).to.throw(v.error);
    });
  }
  for (const v of vectors.descriptor.invalid) {
    it(`refuses the descriptor: ${v.description}`, () => {
      expect(() => parseEscrowDescriptor(v.descriptor)).to.throw(v.error);
    });
  }

  it('pays the P2WSH of the witness script, with an address per network', () => {
    const v = vectors.escrow.valid[0]!;
    const escrow = sortedMultisig(v.threshold, v.keys.map(bytes));
    expect(hex(escrow.scriptPubKey)).to.match(/^0020[0-9a-f]{64}$/);
    expect(escrow.address(networks.regtest)).to.match(/^bcrt1q/);
    expect(escrow.address(networks.testnet)).to.match(/^tb1q/);
    expect(escrow.address(networks.bitcoin)).to.match(/^bc1q/);
  });

  it('round-trips its own descriptor, with and without the checksum, in upper- or lowercase hex', () => {
    const v = vectors.escrow.valid[0]!;
    const escrow = sortedMultisig(v.threshold, v.keys.map(bytes));
    expect(escrow.descriptor).to.match(/^wsh\(sortedmulti\(2,[0-9a-f,]+\)\)#[a-z0-9]{8}$/);
    expect(parseEscrowDescriptor(escrow.descriptor).descriptor).to.equal(escrow.descriptor);
    const body = escrow.descriptor.split('#')[0]!;
    expect(parseEscrowDescriptor(body).descriptor).to.equal(escrow.descriptor);
    expect(parseEscrowDescriptor(body.toUpperCase().replace('WSH(SORTEDMULTI(', 'wsh(sortedmulti(')).descriptor).to.equal(escrow.descriptor);
  });

  it('pushes thresholds above 16 as script numbers, as BIP-383 specifies', () => {
    const keys = (JSON.parse(readFileSync(new URL('../vectors/pegin.json', import.meta.url), 'utf8')) as { valid: { threshold: number; memberKeys: string[] }[] })
      .valid.find((f) => f.threshold === 17)!.memberKeys;
    const escrow = sortedMultisig(17, keys.map(bytes));
    expect(hex(escrow.witnessScript.subarray(0, 2))).to.equal('0111');
    expect(hex(escrow.witnessScript.subarray(-3))).to.equal('0114ae');
  });
});
