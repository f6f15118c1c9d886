import { expect } from 'chai';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { sha256, taggedHash } from '../../sidechain/hash.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, index) => (index * 31 + seed) & 0xff);

describe('taggedHash', () => {
  it('matches the BIP-340 tagged hash of an independent implementation', () => {
    const data = new TextEncoder().encode('strongbox');
    const ours = taggedHash('BIP0340/challenge', data);
    const theirs = schnorr.utils.taggedHash('BIP0340/challenge', data);
    expect(Buffer.from(ours).toString('hex')).to.equal(Buffer.from(theirs).toString('hex'));
  });

  // Small inputs are joined and hashed in one call, large ones fed part by part: both give the digest.
  for (const lengths of [[], [0], [32, 1, 150], [4_032], [4_033], [2_000, 2_033], [100_000, 7]]) {
    it(`gives an independent implementation's digest of parts of ${lengths.join(', ') || 'no'} bytes, tagged and not`, () => {
      const parts = lengths.map((length, index) => bytesOf(length, index));
      expect(hex(taggedHash('Strongbox/tx', ...parts))).to.equal(hex(schnorr.utils.taggedHash('Strongbox/tx', ...parts)));
      expect(hex(sha256(...parts))).to.equal(hex(nobleSha256(Buffer.concat(parts))));
    });
  }

  it('gives digests holding every byte value as an independent implementation does, above 0x7f too', () => {
    const seen = new Set<number>();
    for (let index = 0; index < 300; index++) {
      const data = bytesOf(index, index);
      const digest = sha256(data);
      expect(hex(digest)).to.equal(hex(nobleSha256(data)));
      for (const byte of digest) seen.add(byte);
    }
    expect(seen.size).to.equal(256);
  });

  it('gives each digest as a plain array of its own 32 bytes, which later hashes leave as it was', () => {
    const kept = [[bytesOf(150, 1)], [bytesOf(64, 2), bytesOf(4_000, 3)], [bytesOf(5_000, 4)]].map((parts) => ({ parts, digest: sha256(...parts) }));
    for (let index = 0; index < 100; index++) taggedHash('Strongbox/tx', bytesOf(index * 40, index));
    for (const { parts, digest } of kept) {
      expect(digest.constructor).to.equal(Uint8Array);
      expect(digest.buffer.byteLength).to.equal(32);
      expect(hex(digest)).to.equal(hex(nobleSha256(Buffer.concat(parts))));
    }
  });
});
