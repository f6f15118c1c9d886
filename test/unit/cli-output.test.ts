import { expect } from 'chai';
import * as btc from '@scure/btc-signer';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { plural } from '../../federation/words.ts';
import { PassThrough } from 'node:stream';
import { progressLine, type ProgressLine } from '../../cli/progress.ts';
import { StderrLines } from '../../cli/stderr-line.ts';
import { newRegtestAddress } from '../../regtest/new-address.ts';

/** A ProgressLine on a stream that says whether it is a terminal, as stderr does, and everything written to it. */
function capture(isTTY: boolean, columns?: number): { line: ProgressLine; written: () => string } {
  const stream = Object.assign(new PassThrough({ encoding: 'utf8' }), { isTTY, columns });
  return { line: progressLine(new StderrLines(stream)), written: () => (stream.read() as string | null) ?? '' };
}

describe('command-line output', () => {
  it('writes a waiting state once per change, a line each where no terminal watches', () => {
    const { line, written } = capture(false);
    for (const text of ['0/2 confirmations', '0/2 confirmations', '1/2 confirmations', '1/2 confirmations']) line.show(text);
    line.clear();
    expect(written()).to.equal('0/2 confirmations\n1/2 confirmations\n');
  });

  it('rewrites the waiting state in place on a terminal and clears it before the result', () => {
    const { line, written } = capture(true);
    line.show('burned, waiting for finality…');
    line.show('final at height 7, waiting for the federation\'s next peg-out batch…');
    line.clear();
    expect(written()).to.equal('\rburned, waiting for finality…\x1b[K\rfinal at height 7, waiting for the federation\'s next peg-out batch…\x1b[K\r\x1b[K');
  });

  it('cuts a waiting state to the terminal\'s width, which a wrapped line would break', () => {
    const { line, written } = capture(true, 20);
    line.show('final at height 7, paid by output 0 of Bitcoin transaction 3f2a…');
    const first = written();
    line.show('short enough');
    expect([first, written()]).to.deep.equal(['\rfinal at height 7,…\x1b[K', '\rshort enough\x1b[K']);
    expect(first.replace('\r', '').replace('\x1b[K', '')).to.have.length(19);
  });

  it('clears nothing on a terminal when nothing was shown', () => {
    const { line, written } = capture(true);
    line.clear();
    expect(written()).to.equal('');
  });

  it('counts in singular and plural', () => {
    expect([plural(0, 'block'), plural(1, 'block'), plural(2, 'block'), plural(1n, 'burn'), plural(3n, 'burn')]).to.deep.equal(['0 blocks', '1 block', '2 blocks', '1 burn', '3 burns']);
    expect([plural(1, 'address', 'addresses'), plural(2, 'address', 'addresses')]).to.deep.equal(['1 address', '2 addresses']);
  });

  it('makes a regtest address that its key spends, as an independent implementation derives it', () => {
    const regtest = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { address, privateKeyWif } = newRegtestAddress();
      const privateKey = btc.WIF(regtest).decode(privateKeyWif);
      expect(btc.p2wpkh(secp256k1.getPublicKey(privateKey, true), regtest).address).to.equal(address);
      expect(address).to.match(/^bcrt1q[a-z0-9]{38}$/);
      seen.add(address);
    }
    expect(seen.size, 'every address comes from a fresh key').to.equal(5);
  });
});
