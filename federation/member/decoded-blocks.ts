import { decodeBlock, type Block } from '../../sidechain/block.ts';

// Blocks a signature warm-up decoded, by the very bytes they were decoded from, until the reader
// that checks them (an auditor, or a member catching up) takes them: a served block is decoded
// once between the two, and its transactions' ids (kept on the decoded objects) are hashed once
// too. Decoding is a pure function of the bytes and served bytes are never changed, so the block
// taken is the one decodeBlock would return; bytes that do not decode are not kept, and decoding
// them again fails the same way.
const decodedAhead = new WeakMap<Uint8Array, Block>();

/** Decodes a block fetched ahead and keeps it for its reader. */
export function decodeAhead(bytes: Uint8Array): Block {
  const block = decodeBlock(bytes);
  decodedAhead.set(bytes, block);
  return block;
}

/** The block decoded ahead from these bytes, if a warm-up did so, which is then let go. */
export function takeDecodedAhead(bytes: Uint8Array): Block | undefined {
  const block = decodedAhead.get(bytes);
  decodedAhead.delete(bytes);
  return block;
}

/** The block these bytes encode: the one decoded ahead if there is one. */
export function decodeServed(bytes: Uint8Array): Block {
  return takeDecodedAhead(bytes) ?? decodeBlock(bytes);
}
