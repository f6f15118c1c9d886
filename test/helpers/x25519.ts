import { createPrivateKey, type KeyObject } from 'node:crypto';

// The PKCS#8 prefix for the X25519 OID (RFC 8410): the transport never imports a raw private
// key, so only the tests, which need the RFC's, wrap one.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export const x25519PrivateKeyFromRaw = (raw: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });

export const rawX25519PrivateKey = (key: KeyObject): Uint8Array => new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }).subarray(X25519_PKCS8_PREFIX.length));
