import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../../sidechain/merkle.ts';
import { ValidationError } from '../../sidechain/errors.ts';

const vectors = JSON.parse(readFileSync('test/vectors/merkle.json', 'utf8')) as {
  leaves: string[];
  emptyRoot: string;
  roots: string[];
  nodeHashes: string[][];
  proofs: { index: number; treeSize: number; path: string[] }[];
  invalidProofs: { description: string; leafIndex: number; index: number; treeSize: number; path: string[]; error: string }[];
};
const leaves = vectors.leaves.map((leaf) => new Uint8Array(Buffer.from(leaf, 'hex')));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('RFC 6962 Merkle tree', () => {
  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(hex(merkleRoot([]))).to.equal(vectors.emptyRoot);
  });

  vectors.roots.forEach((root, i) => {
    it(`matches the reference tree head of ${i + 1} leaves`, () => {
      expect(hex(merkleRoot(leaves.slice(0, i + 1)))).to.equal(root);
    });
  });

  vectors.nodeHashes.forEach((level, height) => {
    it(`matches the reference hash of every complete subtree of ${2 ** height} leaves`, () => {
      const width = 2 ** height;
      const hashes = level.map((_, i) => leaves.slice(i * width, (i + 1) * width));
      expect(hashes.map((subtree) => hex(height === 0 ? leafHash(subtree[0]!) : merkleRoot(subtree)))).to.deep.equal(level);
    });
  });

  for (const proof of vectors.proofs) {
    it(`matches the reference audit path of leaf ${proof.index} in a tree of ${proof.treeSize}`, () => {
      const tree = leaves.slice(0, proof.treeSize);
      expect(inclusionProof(tree, proof.index).map(hex)).to.deep.equal(proof.path);
      verifyInclusion(tree[proof.index]!, proof.index, proof.treeSize, proof.path.map((h) => new Uint8Array(Buffer.from(h, 'hex'))), merkleRoot(tree));
    });
  }

  for (const vector of vectors.invalidProofs) {
    it(`refuses a proof with ${vector.description}`, () => {
      const root = merkleRoot(leaves.slice(0, Math.max(vector.treeSize, 1)));
      const path = vector.path.map((h) => new Uint8Array(Buffer.from(h, 'hex')));
      expect(() => verifyInclusion(leaves[vector.leafIndex]!, vector.index, vector.treeSize, path, root)).to.throw(ValidationError, vector.error);
    });
  }

  it('verifies every leaf of random trees and rejects any tampering', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 40, selector: (leaf) => Buffer.from(leaf).toString('hex') }), fc.nat(), fc.nat(), (tree, pick, bit) => {
        const index = pick % tree.length;
        const root = merkleRoot(tree);
        const proof = inclusionProof(tree, index);
        verifyInclusion(tree[index]!, index, tree.length, proof, root);
        const rejects = (run: () => void) => expect(run).to.throw(ValidationError);
        const flipped = Uint8Array.from(tree[index]!);
        flipped[bit % 32]! ^= 1 << (bit % 8);
        rejects(() => verifyInclusion(flipped, index, tree.length, proof, root));
        if (tree.length > 1) {
          rejects(() => verifyInclusion(tree[index]!, (index + 1) % tree.length, tree.length, proof, root));
          rejects(() => verifyInclusion(tree[index]!, index, tree.length, proof.slice(1), root));
          rejects(() => verifyInclusion(tree[index]!, index, tree.length, [...proof, root], root));
          const badSibling = proof.map((h) => Uint8Array.from(h));
          badSibling[0]![0]! ^= 1;
          rejects(() => verifyInclusion(tree[index]!, index, tree.length, badSibling, root));
        }
        // The tree size only fixes the path's shape (the header commits to it); a size that does
        // not contain the index is refused outright.
        rejects(() => verifyInclusion(tree[index]!, index, index, proof, root));
      }),
      { numRuns: 500 },
    );
  });
});
