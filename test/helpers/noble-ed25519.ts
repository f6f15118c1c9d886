import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

// @noble/ed25519 ships without a hash so that it has no dependencies; it takes noble's SHA-512.
ed.hashes.sha512 = sha512;

/** The independent Ed25519 implementation the tests cross-check node:crypto with. */
export const noble = ed;
