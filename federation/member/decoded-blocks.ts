import { decodeBlock, type Block } from '../../sidechain/block.ts';
import { decodeCommit, type CommitCertificate } from '../../sidechain/commit.ts';

// Blocks and certificates a signature warm-up decoded, by the very bytes they were decoded from,
// until the reader that checks them (an auditor, or a member catching up) takes them: a served
// block is decoded once between the two, its transactions' ids and header's hash (kept on the
// decoded objects) are hashed once too, and the signatures the reader checks are the very objects
// the warm-up verified (sidechain/ed25519.ts keeps what each verified with). Decoding is a pure
// function of the bytes and served bytes are never changed, so the object taken is the one
// decoding would return; bytes that do not decode are not kept, and decoding them again fails the
// same way.
function decodedAhead<T>(decode: (bytes: Uint8Array) => T) {
  const kept = new WeakMap<Uint8Array, T>();
  return {
    /** Decodes bytes fetched ahead and keeps the result for their reader. */
    ahead(bytes: Uint8Array): T {
      const decoded = decode(bytes);
      kept.set(bytes, decoded);
      return decoded;
    },
    /** What a warm-up decoded from these bytes, if it did, which is then let go. */
    take(bytes: Uint8Array): T | undefined {
      const decoded = kept.get(bytes);
      kept.delete(bytes);
      return decoded;
    },
    /** What these bytes encode: the object decoded ahead if there is one. */
    served(bytes: Uint8Array): T {
      return this.take(bytes) ?? decode(bytes);
    },
  };
}

export const decodedBlocks = decodedAhead<Block>((bytes) => decodeBlock(bytes));
export const decodedCommits = decodedAhead<CommitCertificate>(decodeCommit);
