import { expect } from 'chai';
import { schnorr } from '@noble/curves/secp256k1.js';
import { taggedHash } from '../../sidechain/hash.ts';

describe('taggedHash', () => {
  it('matches the BIP-340 tagged hash of an independent implementation', () => {
    const data = new TextEncoder().encode('strongbox');
    const ours = taggedHash('BIP0340/challenge', data);
    const theirs = schnorr.utils.taggedHash('BIP0340/challenge', data);
    expect(Buffer.from(ours).toString('hex')).to.equal(Buffer.from(theirs).toString('hex'));
  });
});
