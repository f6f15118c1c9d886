import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { createPrivateKey, createPublicKey, hash, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { sameBytes, toHex } from './bytes.ts';
import { joinedForHashing } from './hash.ts';

// node:crypto takes keys as DER; a raw 32-byte Ed25519 seed or public key is wrapped in the fixed
// PKCS#8 / SPKI prefix for the Ed25519 OID (RFC 8410). node:crypto verifies about 14x faster than
// pure JavaScript here, so it is the hot path; @noble/ed25519 cross-checks it in the tests.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const PUBLIC_KEY_LENGTH = 32;
export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export interface Ed25519KeyPair {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== SEED_LENGTH) throw new TypeError(`Ed25519 seed must be ${SEED_LENGTH} bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * Parsed keys by raw key bytes. Parsing DER costs ten times a signature, and a member signs with
 * one key and verifies the same few keys millions of times; the bound only guards against a
 * flood of distinct keys.
 */
function keyCache<Key>(limit: number, parse: (raw: Uint8Array) => Key): (raw: Uint8Array) => Key {
  const objects = new Map<string, Key>();
  return (raw) => {
    const id = toHex(raw);
    let key = objects.get(id);
    if (!key) {
      key = parse(raw);
      if (objects.size >= limit) objects.clear();
      objects.set(id, key);
    }
    return key;
  };
}

const publicKeyObject = keyCache(100_000, (publicKey) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }));
const signingKey = keyCache(1_000, privateKeyObject);

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

const signingPublicKey = keyCache(1_000, publicKeyFromSeed);

export function generateKeyPair(): Ed25519KeyPair {
  const seed = new Uint8Array(randomBytes(SEED_LENGTH));
  return { seed, publicKey: publicKeyFromSeed(seed) };
}

export function signMessage(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, signingKey(seed)));
}

// Signatures that verified once, like Bitcoin Core's signature cache: a member checks the same
// transaction when it enters the mempool, when the mempool is re-checked after each block and
// when a block carrying it is proposed. Only successes are kept, keyed by key, message and
// signature together, so a hit is exactly a verification done before.
const verifiedSignatures = new Set<string>();
const VERIFIED_CACHE_LIMIT = 500_000;

// An entry is the SHA-256 of key, signature and message (fixed lengths first, so the three are
// unambiguous), as Bitcoin Core keys its cache: about 85 bytes of heap an entry, 42 MB at the
// limit, where the three themselves in base64 took 213 bytes an entry, 106 MB at the limit.
const cacheId = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => hash('sha256', joinedForHashing([publicKey, signature, message]), 'base64');

/**
 * Lengths first: the signature cache's id hashes key, signature and message joined, and only
 * with a 32-byte key and a 64-byte signature do the joined bytes name one triple. They are
 * checked on every lookup, so that a key and signature cut elsewhere from a remembered triple's
 * bytes never find its entry.
 */
function wellSized(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return publicKey.length === PUBLIC_KEY_LENGTH && signature.length === SIGNATURE_LENGTH;
}

/**
 * What this process spent on signatures since it started: verifications made on the main thread
 * (a cache miss, or a check outside the cache) and on the thread pool, and the cache's lookups,
 * hits and misses. Counted where the work is done, so that /metrics shows how many times a member
 * verifies what it handles, and which share of lookups the cache answers.
 */
const work = { verified: 0, verifiedInBackground: 0, cacheHits: 0, cacheMisses: 0 };
export type SignatureWork = Readonly<typeof work>;

export function signatureWork(): SignatureWork {
  return { ...work };
}

/** Whether the cache holds the triple of `id`, counted as a hit or a miss. */
function cached(id: string): boolean {
  const hit = verifiedSignatures.has(id);
  if (hit) work.cacheHits += 1;
  else work.cacheMisses += 1;
  return hit;
}

function remember(id: string): void {
  if (verifiedSignatures.size >= VERIFIED_CACHE_LIMIT) verifiedSignatures.clear();
  verifiedSignatures.add(id);
}

// The eight points of small order, and the encodings of the two with x = 0 whose sign bit is set
// ("negative zero"): a key among them verifies signatures nobody made (R = B, S = 1 signs every
// message for the identity), so no signature under one is valid. Keys are compared with them byte
// by byte, so that checking a key makes no string of it, and by their first byte before the rest:
// the sixteen share five first bytes, so nearly every key is told apart without a call into
// Buffer.compare, where sixteen such calls were most of what a verification checked before OpenSSL.
const SMALL_ORDER_KEYS = ED25519_TORSION_SUBGROUP.flatMap((canonical) => {
  const key = new Uint8Array(Buffer.from(canonical, 'hex'));
  const flipped = Uint8Array.from(key);
  flipped[31]! ^= 0x80;
  return [key, flipped];
});

/** Whether the 255 bits of y, little-endian, are at least p = 2^255 - 19: a second encoding of y - p. */
function yOutOfRange(publicKey: Uint8Array): boolean {
  if ((publicKey[31]! & 0x7f) !== 0x7f || publicKey[0]! < 0xed) return false;
  for (let index = 1; index < 31; index++) if (publicKey[index] !== 0xff) return false;
  return true;
}

/** Whether S, the signature's second half, is below the group order L, as RFC 8032 requires. */
function scalarBelowOrder(signature: Uint8Array): boolean {
  for (let index = 63; index >= 32; index--) {
    const byte = signature[index]!;
    const limit = GROUP_ORDER_LE[index - 32]!;
    if (byte !== limit) return byte < limit;
  }
  return false;
}
const GROUP_ORDER_LE = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/**
 * The chain's rule decides which signatures are valid, not whichever library verifies them:
 * OpenSSL accepts keys RFC 8032 refuses to decode and keys of small order. What passes here and
 * then OpenSSL's cofactorless check is valid under RFC 8032 (either equation) and under ZIP-215
 * alike, so an independent verifier of any of those kinds accepts every block the members make.
 */
function keyAndScalarAllowed(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return !yOutOfRange(publicKey) && !SMALL_ORDER_KEYS.some((key) => key[0] === publicKey[0] && sameBytes(key, publicKey)) && scalarBelowOrder(signature);
}

function verifyUncached(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  work.verified += 1;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/**
 * A signature this process will meet again and check (a member's own votes come back to it in the
 * commit certificates it verifies): it goes into the cache as it is made, as Bitcoin Core's cache
 * holds what was checked once. It is valid by construction: a key derived from a seed is never of
 * small order nor a second encoding, and signing reduces S below the group order, so the checks
 * verifySignature would make pass.
 */
export function signVerified(seed: Uint8Array, message: Uint8Array): Uint8Array {
  const signature = signMessage(seed, message);
  remember(cacheId(signingPublicKey(seed), message, signature));
  return signature;
}

/** False for any malformed key or signature: callers turn that into their own typed error. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!wellSized(publicKey, signature)) return false;
  const id = cacheId(publicKey, message, signature);
  // A hit needs no check of the key or of S: an entry is remembered only after these very bytes
  // passed keyAndScalarAllowed (or were signed by a seed's key, which passes it by construction),
  // and its id commits to every byte of key and signature. A small-order key never gets an
  // entry, so it is refused here on every check, as it was when each lookup ran the check.
  if (cached(id)) return true;
  if (!keyAndScalarAllowed(publicKey, signature)) return false;
  const valid = verifyUncached(publicKey, message, signature);
  if (valid) remember(id);
  return valid;
}

/**
 * The same check for a signature nobody verifies twice (a peer handshake's transcript, over
 * fresh challenges): outside the cache, so a peer's connections neither cost an entry each nor,
 * at the cache's limit, clear the transactions' entries with them.
 */
export function verifyFreshSignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return wellSized(publicKey, signature) && keyAndScalarAllowed(publicKey, signature) && verifyUncached(publicKey, message, signature);
}

/**
 * The same verification on libuv's thread pool, so that several run on several cores while the
 * caller goes on. It decides nothing: a success only lands in the cache that verifySignature
 * reads, which is how a reader of many signatures known in advance (an auditor replaying
 * certificates) checks them in parallel and still through the one synchronous path.
 */
export function verifySignatureInBackground(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<void> {
  if (!wellSized(publicKey, signature)) return Promise.resolve();
  const id = cacheId(publicKey, message, signature);
  if (cached(id) || !keyAndScalarAllowed(publicKey, signature)) return Promise.resolve();
  work.verifiedInBackground += 1;
  return new Promise((resolve) => {
    try {
      verify(null, message, publicKeyObject(publicKey), signature, (error, valid) => {
        if (!error && valid) remember(id);
        resolve();
      });
    } catch {
      resolve();
    }
  });
}
