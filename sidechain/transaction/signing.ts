import { signMessage, verifySignature, publicKeyFromSeed } from '../ed25519.ts';
import { OwnerType, compareBytes, multisigConditionHash, type MultisigCondition } from '../address.ts';
import { sighashMessage } from './sighash.ts';
import { TransactionError } from './errors.ts';
import { SighashType, type TxBody, type Witness } from './types.ts';

export interface SignOptions {
  inputIndex?: number;
  sighash?: number;
  /** With sighash SINGLE|ANYONECANPAY|EXPIRY: the last block height that may include the input. */
  expiryHeight?: number;
}

function signedMessage(chainId: Uint8Array, body: TxBody, options: SignOptions): { sighash: number; expiry: { expiryHeight?: number }; message: Uint8Array } {
  const sighash = options.sighash ?? SighashType.all;
  const message = sighashMessage(chainId, body, options.inputIndex ?? 0, sighash, undefined, options.expiryHeight);
  return { sighash, expiry: options.expiryHeight === undefined ? {} : { expiryHeight: options.expiryHeight }, message };
}

/** A witness for an output owned by one key (or an issuer authorisation). */
export function keyWitness(chainId: Uint8Array, body: TxBody, seed: Uint8Array, options: SignOptions = {}): Witness {
  const { sighash, expiry, message } = signedMessage(chainId, body, options);
  return { type: 'key', sighash, ...expiry, signature: signMessage(seed, message) };
}

/** A witness for an m-of-n owner: reveals the condition and signs with the first m given seeds. */
export function multisigWitness(
  chainId: Uint8Array,
  body: TxBody,
  condition: MultisigCondition,
  seeds: Uint8Array[],
  options: SignOptions = {},
): Witness {
  const keys = [...condition.keys].sort(compareBytes);
  const { sighash, expiry, message } = signedMessage(chainId, body, options);
  const signatures = seeds
    .map((seed) => {
      const publicKey = publicKeyFromSeed(seed);
      const keyIndex = keys.findIndex((key) => compareBytes(key, publicKey) === 0);
      if (keyIndex < 0) throw new TypeError('a signing seed is not one of the condition keys');
      return { keyIndex, signature: signMessage(seed, message) };
    })
    .sort((a, b) => a.keyIndex - b.keyIndex)
    .slice(0, condition.threshold);
  if (signatures.length < condition.threshold) throw new TypeError(`need ${condition.threshold} seeds, got ${seeds.length}`);
  return { type: 'multisig', sighash, ...expiry, condition: { threshold: condition.threshold, keys }, signatures };
}

/**
 * The public keys and signatures a witness shows for `owner`, read without checking anything:
 * what verifyWitness would verify if the witness is well formed, for verifying them ahead of it.
 */
export function witnessSignatures(owner: Uint8Array, witness: Witness): { publicKey: Uint8Array; signature: Uint8Array }[] {
  if (owner[0] === OwnerType.Key) return witness.type === 'key' ? [{ publicKey: owner.subarray(1), signature: witness.signature }] : [];
  if (witness.type !== 'multisig') return [];
  return witness.signatures.flatMap(({ keyIndex, signature }) => {
    const publicKey = witness.condition.keys[keyIndex];
    return publicKey ? [{ publicKey, signature }] : [];
  });
}

/**
 * Checks that `witness` authorises spending from the 33-byte owner payload `owner` for `message`.
 * A multisig witness must reveal exactly the condition the owner hash commits to.
 */
export function verifyWitness(owner: Uint8Array, witness: Witness, message: Uint8Array, where: string): void {
  if (owner[0] === OwnerType.Key) {
    if (witness.type !== 'key') throw new TransactionError('witness-type', `${where}: a single-key owner needs a key witness`);
    if (!verifySignature(owner.subarray(1), message, witness.signature)) {
      throw new TransactionError('bad-signature', `${where}: signature does not verify: not by the owner's key, or not over this transaction's sighash on this chain (chain id)`);
    }
    return;
  }
  if (witness.type !== 'multisig') throw new TransactionError('witness-type', `${where}: a multisig owner needs a multisig witness`);
  if (compareBytes(multisigConditionHash(witness.condition), owner.subarray(1)) !== 0) {
    throw new TransactionError('owner-mismatch', `${where}: the revealed multisig condition is not the owner's`);
  }
  if (witness.signatures.length !== witness.condition.threshold) {
    throw new TransactionError('bad-signature', `${where}: ${witness.condition.threshold} signatures required`);
  }
  for (const { keyIndex, signature } of witness.signatures) {
    const key = witness.condition.keys[keyIndex];
    if (!key || !verifySignature(key, message, signature)) {
      throw new TransactionError('bad-signature', `${where}: signature of multisig key ${keyIndex} does not verify`);
    }
  }
}
