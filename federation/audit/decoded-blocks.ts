import { decodeBlock, type Block } from '../../sidechain/block.ts';

// Blocks the warm-up decoded, by the very bytes they were decoded from, until the auditor takes
// them: a served block is decoded once between the two, and its transactions' ids (kept on the
// decoded objects) are hashed once too. Decoding is a pure function of the bytes and served bytes
// are never changed, so the block taken is the one decodeBlock would return; bytes that do not
// decode are not kept, and decoding them again fails the same way.
const decodedAhead = new WeakMap<Uint8Array, Block>();

/** Decodes a block fetched ahead and keeps it for the auditor. */
export function decodeAhead(bytes: Uint8Array): Block {
  const block = decodeBlock(bytes);
  decodedAhead.set(bytes, block);
  return block;
}

/** The block these bytes encode: the one decoded ahead if there is one, which is then let go. */
export function decodeServed(bytes: Uint8Array): Block {
  const block = decodedAhead.get(bytes);
  if (!block) return decodeBlock(bytes);
  decodedAhead.delete(bytes);
  return block;
}
