import { createHash, hash } from 'node:crypto';

const tagPrefixes = new Map<string, Buffer>();

function tagPrefix(tag: string): Buffer {
  let prefix = tagPrefixes.get(tag);
  if (!prefix) {
    const tagHash = createHash('sha256').update(tag, 'utf8').digest();
    prefix = Buffer.concat([tagHash, tagHash]);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/**
 * Inputs up to this many bytes are joined and hashed in one call. A hash object per id (made,
 * fed part by part, finished, collected) cost a member more than the hashing of a small input
 * itself; joining copies the input, which for a large one (a block, a frame) costs more than
 * the object, so those are fed part by part still.
 */
const ONE_CALL_BYTES = 4096;

/** BIP-340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ data). Every id in Strongbox is one. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(tagPrefix(tag), ...parts);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length <= ONE_CALL_BYTES) return new Uint8Array(hash('sha256', Buffer.concat(parts, length), 'buffer'));
  const hasher = createHash('sha256');
  for (const part of parts) hasher.update(part);
  return new Uint8Array(hasher.digest());
}
