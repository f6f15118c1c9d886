import { createHmac, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DecodeError } from '../../sidechain/encoding/index.ts';

// The symmetric keys of one connection. The handshake authenticates a link once with the block
// keys, over fresh X25519 keys of both sides; each frame after it carries an HMAC under a key
// derived from their shared secret, as CometBFT's SecretConnection and BIP324 do, instead of an
// Ed25519 signature: signatures cost a member 5 % of its busy CPU at capacity and 14-17 % of
// its main thread at ordinary loads; an HMAC of a 32-byte digest costs about 3 µs, a tenth of a
// signature and less of a verification.

export const EPHEMERAL_KEY_LENGTH = 32;
export const MAC_LENGTH = 32;

// node:crypto takes X25519 keys as DER: a raw 32-byte public key follows this fixed SPKI prefix
// for the X25519 OID (RFC 8410), as sidechain/ed25519.ts does for Ed25519.
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const LINK_KEY_LENGTH = 32;

/** A key pair drawn for one handshake; the private half never leaves the connection. */
export interface EphemeralKey {
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

/** The two directions of one link have separate keys, so a frame cannot be reflected back to its sender. */
export interface LinkKeys {
  send: KeyObject;
  receive: KeyObject;
}

export type LinkRole = 'dialer' | 'acceptor';

const DIRECTION_INFO = {
  dialer: Buffer.from('Strongbox/peer-mac dialer->acceptor'),
  acceptor: Buffer.from('Strongbox/peer-mac acceptor->dialer'),
};

export function generateEphemeralKey(): EphemeralKey {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length)) };
}

/**
 * X25519 (RFC 7748). A peer key of low order would make the secret all zeros, known to anyone;
 * OpenSSL refuses to derive it (RFC 7748 §6.1's check), and that refusal, like a key node:crypto
 * cannot parse, is reported as a DecodeError: the handshake message carrying it is malformed.
 */
export function sharedSecret(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.length !== EPHEMERAL_KEY_LENGTH) throw new DecodeError('X25519 public key', `must be ${EPHEMERAL_KEY_LENGTH} bytes, got ${peerPublicKey.length}`);
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerPublicKey]), format: 'der', type: 'spki' });
    return new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch {
    throw new DecodeError('X25519 public key', 'no shared secret with it (a point of low order)');
  }
}

/**
 * HKDF-SHA256 (RFC 5869) of the shared secret, salted with the handshake transcript hash, so the
 * keys belong to this handshake only: a frame sealed for one connection fails on any other,
 * even another of the same two members.
 */
export function deriveLinkKeys(secret: Uint8Array, transcriptHash: Uint8Array, role: LinkRole): LinkKeys {
  const key = (direction: LinkRole) => createSecretKey(Buffer.from(hkdfSync('sha256', secret, transcriptHash, DIRECTION_INFO[direction], LINK_KEY_LENGTH)));
  const other: LinkRole = role === 'dialer' ? 'acceptor' : 'dialer';
  return { send: key(role), receive: key(other) };
}

/** HMAC-SHA256 of a frame digest: the frame is hashed once, however many links it goes to. */
export function macOf(key: KeyObject, digest: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(digest).digest());
}

/** Constant-time, so the time a forgery takes to fail tells nothing about the right tag. */
export function macValid(key: KeyObject, digest: Uint8Array, mac: Uint8Array): boolean {
  return mac.length === MAC_LENGTH && timingSafeEqual(macOf(key, digest), mac);
}
