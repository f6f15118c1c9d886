import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { BlockHashes } from '../../sidechain/block-hashes.ts';

const hashOf = (height: number) => new Uint8Array(createHash('sha256').update(`block ${height}`).digest());

describe('block hashes by height', () => {
  it('gives back every hash pushed, across chunks, with the genesis at 0', () => {
    const hashes = new BlockHashes(hashOf(0));
    for (let height = 1; height <= 10_000; height++) hashes.push(hashOf(height));
    expect(hashes.tipHeight).to.equal(10_000);
    for (const height of [0, 1, 4_095, 4_096, 4_097, 8_191, 8_192, 10_000]) expect(hashes.at(height), `height ${height}`).to.deep.equal(hashOf(height));
  });

  it('has nothing above the tip or at a height that is not a whole number', () => {
    const hashes = new BlockHashes(hashOf(0));
    hashes.push(hashOf(1));
    for (const height of [2, -1, 0.5, Number.NaN, 2 ** 53]) expect(hashes.at(height), `height ${height}`).to.equal(undefined);
  });

  it('hands out copies, so a caller changing one changes nothing kept', () => {
    const hashes = new BlockHashes(hashOf(0));
    hashes.at(0)!.fill(0);
    expect(hashes.at(0)).to.deep.equal(hashOf(0));
  });

  it('refuses a hash that is not 32 bytes', () => {
    const hashes = new BlockHashes(hashOf(0));
    expect(() => hashes.push(new Uint8Array(31))).to.throw(RangeError, /32 bytes/);
    expect(hashes.tipHeight).to.equal(0);
  });
});
