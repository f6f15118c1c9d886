import * as ecc from 'tiny-secp256k1';
import { StrongboxError, ValidationError } from '../sidechain/errors.ts';
import { taggedHash } from '../sidechain/hash.ts';
import { sortedMultisig, type SortedMultisig } from './escrow.ts';

export const PEGIN_TWEAK_TAG = 'Strongbox/pegin';
/** The bytes an `sbx` address encodes: a type byte and 32 bytes. */
export const RECIPIENT_LENGTH = 33;

/**
 * A tweak that is not below the curve order, or that cancels the key out. It happens with
 * probability about 2^-128 per key; such a recipient cannot be given a deposit address, and a
 * key must never be silently reduced into a different one.
 */
export class InvalidTweakError extends StrongboxError {
  constructor(reason: string) {
    super('invalid-tweak', `pay-to-contract tweak rejected: ${reason}`);
  }
}

/** t_i = TaggedHash("Strongbox/pegin", P_i ‖ R): binds member key P_i to sidechain recipient R. */
export function peginTweak(memberKey: Uint8Array, recipient: Uint8Array): Uint8Array {
  if (!ecc.isPointCompressed(memberKey)) throw new ValidationError('bad-key', 'member peg key must be a 33-byte compressed secp256k1 point');
  if (recipient.length !== RECIPIENT_LENGTH) {
    throw new ValidationError('bad-recipient', `recipient must be ${RECIPIENT_LENGTH} bytes (an sbx address payload), got ${recipient.length}`);
  }
  return taggedHash(PEGIN_TWEAK_TAG, memberKey, recipient);
}

/** P + t·G, compressed. */
export function addTweakToPublicKey(publicKey: Uint8Array, tweak: Uint8Array): Uint8Array {
  let tweaked: Uint8Array | null;
  try {
    tweaked = ecc.pointAddScalar(publicKey, tweak, true);
  } catch {
    throw new InvalidTweakError('tweak is not below the secp256k1 group order');
  }
  if (!tweaked) throw new InvalidTweakError('tweaked public key is the point at infinity');
  return tweaked;
}

/** p + t mod n: the private key for P + t·G. */
export function addTweakToPrivateKey(privateKey: Uint8Array, tweak: Uint8Array): Uint8Array {
  if (!ecc.isPrivate(privateKey)) throw new ValidationError('bad-key', 'private key must be 32 bytes in [1, n-1]');
  let tweaked: Uint8Array | null;
  try {
    tweaked = ecc.privateAdd(privateKey, tweak);
  } catch {
    throw new InvalidTweakError('tweak is not below the secp256k1 group order');
  }
  if (!tweaked) throw new InvalidTweakError('tweaked private key is zero');
  return tweaked;
}

/** The member's deposit key for recipient R: P_i + t_i·G. */
export function tweakMemberKey(memberKey: Uint8Array, recipient: Uint8Array): Uint8Array {
  return addTweakToPublicKey(memberKey, peginTweak(memberKey, recipient));
}

/** The private key that signs spends of deposits to R: p_i + t_i mod n, with t_i taken over P_i = p_i·G. */
export function tweakMemberPrivateKey(privateKey: Uint8Array, recipient: Uint8Array): Uint8Array {
  if (!ecc.isPrivate(privateKey)) throw new ValidationError('bad-key', 'private key must be 32 bytes in [1, n-1]');
  const publicKey = ecc.pointFromScalar(privateKey, true);
  if (!publicKey) throw new ValidationError('bad-key', 'private key has no public key');
  return addTweakToPrivateKey(privateKey, peginTweak(publicKey, recipient));
}

/**
 * The deposit script for recipient R: the escrow's threshold over every member key tweaked for R.
 * Anyone holding the public escrow descriptor derives it offline; only R can be credited for it.
 */
export function depositMultisig(escrow: Pick<SortedMultisig, 'threshold' | 'keys'>, recipient: Uint8Array): SortedMultisig {
  return sortedMultisig(
    escrow.threshold,
    escrow.keys.map((key) => tweakMemberKey(key, recipient)),
  );
}
