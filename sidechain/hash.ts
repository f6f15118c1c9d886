import { createHash } from 'node:crypto';

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

/** BIP-340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ data). Every id in Strongbox is one. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256').update(tagPrefix(tag));
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}
