import * as ecc from 'tiny-secp256k1';
import { ValidationError } from '../sidechain/errors.ts';
import { taggedHash } from '../sidechain/hash.ts';
import { sortedMultisig, type SortedMultisig } from './escrow.ts';
import { addTweakToPrivateKey, addTweakToPublicKey } from './pegin-tweak.ts';

/**
 * The federation's operations wallet pays anchor fees, so no anchor ever touches peg reserves.
 * Each member's key in it is its peg key tweaked under its own tag: u_i = TaggedHash(tag, P_i),
 * key P_i + u_i·G. The tag differs from the peg-in tag, and a deposit tweak hashes P_i with a
 * 33-byte recipient while this hashes P_i alone, so no ops-wallet key equals an escrow or deposit
 * key and the ops wallet's address never collides with theirs. Anyone with the escrow
 * descriptor derives it; only the members can spend from it.
 */
export const OPS_WALLET_TAG = 'Strongbox/ops-wallet';

export function opsWalletTweak(memberKey: Uint8Array): Uint8Array {
  if (!ecc.isPointCompressed(memberKey)) throw new ValidationError('bad-key', 'member peg key must be a 33-byte compressed secp256k1 point');
  return taggedHash(OPS_WALLET_TAG, memberKey);
}

/** The member's operations-wallet key: P_i + u_i·G. */
export function opsWalletKey(memberKey: Uint8Array): Uint8Array {
  return addTweakToPublicKey(memberKey, opsWalletTweak(memberKey));
}

/** p_i + u_i mod n, with u_i taken over P_i = p_i·G. */
export function opsWalletPrivateKey(privateKey: Uint8Array): Uint8Array {
  if (!ecc.isPrivate(privateKey)) throw new ValidationError('bad-key', 'private key must be 32 bytes in [1, n-1]');
  const publicKey = ecc.pointFromScalar(privateKey, true);
  if (!publicKey) throw new ValidationError('bad-key', 'private key has no public key');
  return addTweakToPrivateKey(privateKey, opsWalletTweak(publicKey));
}

/** `wsh(sortedmulti(k, ops keys))`: the same threshold as the escrow, over every member's ops-wallet key. */
export function opsWalletMultisig(escrow: Pick<SortedMultisig, 'threshold' | 'keys'>): SortedMultisig {
  return sortedMultisig(escrow.threshold, escrow.keys.map(opsWalletKey));
}
