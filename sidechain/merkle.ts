import { sha256 } from './hash.ts';
import { sameBytes } from './bytes.ts';
import { ValidationError } from './errors.ts';

// RFC 6962 §2.1: leaves and interior nodes are hashed with different prefixes, so no leaf can
// pose as a node (the second-preimage weakness of Bitcoin's Merkle tree).
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

// One-shot hashes (sha256 joins the parts in one reused buffer): a hash object per leaf and per
// node was most of a block's transaction root, which every member computes for every block.
export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leaf);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two strictly less than n (n ≥ 2): where RFC 6962 splits a tree. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The root of the subtree over hashes[from, to), which is not empty; ranges rather than copies of the array. */
function rootOfLeafHashes(hashes: readonly Uint8Array[], from = 0, to = hashes.length): Uint8Array {
  if (to - from === 1) return hashes[from]!;
  const split = from + splitPoint(to - from);
  return nodeHash(rootOfLeafHashes(hashes, from, split), rootOfLeafHashes(hashes, split, to));
}

/** Merkle Tree Hash of RFC 6962; the empty tree hashes to SHA-256 of the empty string. */
export function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  return rootOfLeafHashes(leaves.map(leafHash));
}

/** The audit path of RFC 6962 §2.1.1 for leaf `index`, siblings from the leaf upwards. */
export function inclusionProof(leaves: Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} outside a tree of ${leaves.length}`);
  const path = (hashes: Uint8Array[], m: number): Uint8Array[] => {
    if (hashes.length === 1) return [];
    const k = splitPoint(hashes.length);
    return m < k ? [...path(hashes.slice(0, k), m), rootOfLeafHashes(hashes.slice(k))] : [...path(hashes.slice(k), m - k), rootOfLeafHashes(hashes.slice(0, k))];
  };
  return path(leaves.map(leafHash), index);
}

/**
 * Recomputes the root from a leaf and its audit path (RFC 9162 §2.1.3.2, which also pins down
 * the path length) and compares it with the expected root. Throws on any mismatch.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, treeSize: number, proof: Uint8Array[], root: Uint8Array): void {
  if (!Number.isInteger(treeSize) || treeSize < 1 || !Number.isInteger(index) || index < 0 || index >= treeSize) {
    throw new ValidationError('bad-proof', `leaf index ${index} is outside a tree of ${treeSize} leaves`);
  }
  let fn = index;
  let sn = treeSize - 1;
  let hash = leafHash(leaf);
  for (const sibling of proof) {
    if (sibling.length !== 32) throw new ValidationError('bad-proof', 'a proof hash is not 32 bytes');
    if (sn === 0) throw new ValidationError('bad-proof', 'the proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ValidationError('bad-proof', 'the proof is shorter than the tree is deep');
  if (!sameBytes(hash, root)) throw new ValidationError('bad-proof', 'the proof does not lead to the Merkle root');
}
