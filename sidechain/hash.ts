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

/** taggedHash's digest as lowercase hex, for a lookup by it: no digest array is made only to be read into a string. */
export function taggedHashHex(tag: string, data: Uint8Array): string {
  return hash('sha256', joinedForHashing([tagPrefix(tag), data]), 'hex');
}

/**
 * Where small inputs are joined: hashing is synchronous, so one buffer serves every call, where
 * joining into a new one made garbage of every id, and a fresh 8 KB pool every fifty.
 */
const joined = new Uint8Array(ONE_CALL_BYTES);

/**
 * The parts joined, to be handed straight to a one-shot hash: in the shared buffer, which the next
 * call overwrites, when they fit; in a buffer of their own when they do not.
 */
export function joinedForHashing(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > ONE_CALL_BYTES) return Buffer.concat(parts, length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined.subarray(0, length);
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return digestBytes(sha256Digest(...parts));
}

/**
 * SHA-256 of the parts as the 'binary' string node:crypto gives (one character a byte), for
 * callers that hash digests again before any leaves them (a Merkle tree's nodes).
 */
export function sha256Digest(...parts: Uint8Array[]): string {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > ONE_CALL_BYTES) {
    const hasher = createHash('sha256');
    for (const part of parts) hasher.update(part);
    return hasher.digest('binary');
  }
  return hash('sha256', joinedForHashing(parts), 'binary');
}

/**
 * A digest node:crypto gave as a 'binary' (latin1) string, one character a byte, as a plain
 * Uint8Array of its own. Asked for as a Buffer, each digest came in an ArrayBuffer of its own
 * outside V8's heap, which cost more than the hash: 770 ns a SHA-256 of 180 bytes that way, 370 as
 * a string copied into a 32-byte array, which V8 keeps on its heap. A member hashes each transfer's
 * ids and its signed message so.
 */
export function digestBytes(digest: string): Uint8Array {
  const bytes = new Uint8Array(digest.length);
  for (let i = 0; i < bytes.length; i++) bytes[i] = digest.charCodeAt(i);
  return bytes;
}
