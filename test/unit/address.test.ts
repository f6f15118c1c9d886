import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  AddressError, addressPayload, decodeAddress, encodeAddress, encodeMultisigCondition, keyOwner, multisigOwner, ownerPayload,
} from '../../sidechain/address.ts';
import { BTC_ASSET_ID, isValidIsin, issuedAssetId } from '../../sidechain/asset.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/address.json', import.meta.url), 'utf8')) as {
  valid: { description: string; address: string; payload: string; publicKey?: string; threshold?: number; keys?: string[] }[];
  invalid: { description: string; address: string; error: string }[];
};
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** BIP-340 tagged hash written out with an independent SHA-256. */
function independentTaggedHash(tag: string, data: Uint8Array): Uint8Array {
  const t = sha256(new TextEncoder().encode(tag));
  return sha256(new Uint8Array([...t, ...t, ...data]));
}

describe('address vectors', () => {
  for (const vector of vectors.valid) {
    it(`decodes to its payload and encodes back: ${vector.description}`, () => {
      expect(toHex(addressPayload(vector.address))).to.equal(vector.payload);
      expect(encodeAddress(decodeAddress(vector.address))).to.equal(vector.address.toLowerCase());
      if (vector.publicKey) expect(encodeAddress(keyOwner(fromHex(vector.publicKey)))).to.equal(vector.address);
      if (vector.keys) {
        const owner = multisigOwner(vector.threshold!, vector.keys.map(fromHex));
        expect(encodeAddress(owner)).to.equal(vector.address);
        const sorted = vector.keys.sort();
        const condition = new Uint8Array([vector.threshold!, sorted.length, ...sorted.flatMap((k) => [...fromHex(k)])]);
        expect('01' + toHex(independentTaggedHash('Strongbox/multisig', condition))).to.equal(vector.payload);
      }
    });
  }
  for (const vector of vectors.invalid) {
    it(`rejects with AddressError: ${vector.description}`, () => {
      expect(() => decodeAddress(vector.address)).to.throw(AddressError, vector.error);
    });
  }
});

describe('owner conditions', () => {
  const keys = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));

  it('refuses thresholds outside 1..n and more than 16 keys', () => {
    expect(() => multisigOwner(0, keys)).to.throw(AddressError, 'threshold');
    expect(() => multisigOwner(4, keys)).to.throw(AddressError, 'threshold');
    const many = Array.from({ length: 17 }, (_, i) => new Uint8Array(32).fill(i));
    expect(() => multisigOwner(1, many)).to.throw(AddressError, '1 to 16 keys');
  });

  it('refuses duplicate or unsorted keys in an explicit condition', () => {
    expect(() => multisigOwner(1, [keys[0]!, keys[0]!])).to.throw(AddressError, 'distinct');
    expect(() => encodeMultisigCondition({ threshold: 1, keys: [keys[1]!, keys[0]!] })).to.throw(AddressError, 'sorted');
  });

  it('gives a 33-byte payload whose first byte is the owner type', () => {
    expect(ownerPayload(keyOwner(keys[0]!))[0]).to.equal(0);
    expect(ownerPayload(multisigOwner(2, keys))).to.have.length(33);
    expect(() => keyOwner(new Uint8Array(31))).to.throw(AddressError);
  });
});

describe('asset ids', () => {
  it('pegged BTC is taggedHash("Strongbox/asset", "BTC")', () => {
    expect(toHex(BTC_ASSET_ID)).to.equal(toHex(independentTaggedHash('Strongbox/asset', new TextEncoder().encode('BTC'))));
  });

  it('an issued asset id commits to the issuer key and the nonce', () => {
    const issuer = new Uint8Array(32).fill(7);
    expect(toHex(issuedAssetId(issuer, 1n))).to.not.equal(toHex(issuedAssetId(issuer, 2n)));
    const preimage = new Uint8Array([...issuer, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(toHex(issuedAssetId(issuer, 1n))).to.equal(toHex(independentTaggedHash('Strongbox/asset', preimage)));
  });

  it('accepts ISINs with a correct check digit only', () => {
    expect(isValidIsin('US0378331005')).to.equal(true);
    expect(isValidIsin('CH0012221716')).to.equal(true);
    expect(isValidIsin('US0378331006')).to.equal(false);
    expect(isValidIsin('us0378331005')).to.equal(false);
    expect(isValidIsin('US037833100')).to.equal(false);
  });
});
