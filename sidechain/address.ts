import { bech32m } from '@scure/base';
import { taggedHash } from './hash.ts';
import { ValidationError } from './errors.ts';
import { PUBLIC_KEY_LENGTH } from './ed25519.ts';

export const ADDRESS_HRP = 'sbx';
export const OWNER_PAYLOAD_LENGTH = 33;
/** Keeps a multisig witness (condition + signatures) bounded: 16 keys, 16 signatures. */
export const MAX_MULTISIG_KEYS = 16;

export const OwnerType = { Key: 0, Multisig: 1 } as const;

/** An m-of-n condition. Keys are sorted and distinct, so one set of keys has one hash. */
export interface MultisigCondition {
  threshold: number;
  keys: Uint8Array[];
}

/**
 * Who may spend an output. A multisig owner is only the hash of its condition: the condition is
 * revealed when spending (as P2WSH does), so outputs stay 33 bytes whatever the key count.
 */
export type Owner =
  | { type: 'key'; publicKey: Uint8Array }
  | { type: 'multisig'; conditionHash: Uint8Array };

export class AddressError extends ValidationError {
  constructor(reason: string) {
    super('bad-address', reason);
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/** Throws unless the condition is canonical: 1 ≤ m ≤ n ≤ 16, 32-byte keys strictly ascending. */
export function checkMultisigCondition(condition: MultisigCondition): void {
  const { threshold, keys } = condition;
  if (keys.length < 1 || keys.length > MAX_MULTISIG_KEYS) {
    throw new AddressError(`a multisig condition has 1 to ${MAX_MULTISIG_KEYS} keys, got ${keys.length}`);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new AddressError(`multisig threshold must be 1..${keys.length}, got ${threshold}`);
  }
  keys.forEach((key, index) => {
    if (key.length !== PUBLIC_KEY_LENGTH) throw new AddressError(`multisig key ${index} is not ${PUBLIC_KEY_LENGTH} bytes`);
    if (index > 0 && compareBytes(keys[index - 1]!, key) >= 0) {
      throw new AddressError('multisig keys must be distinct and sorted ascending');
    }
  });
}

/** m ‖ n ‖ keys: the bytes hashed into the address and revealed in the witness. */
export function encodeMultisigCondition(condition: MultisigCondition): Uint8Array {
  checkMultisigCondition(condition);
  const bytes = new Uint8Array(2 + condition.keys.length * PUBLIC_KEY_LENGTH);
  bytes[0] = condition.threshold;
  bytes[1] = condition.keys.length;
  condition.keys.forEach((key, index) => bytes.set(key, 2 + index * PUBLIC_KEY_LENGTH));
  return bytes;
}

export function multisigConditionHash(condition: MultisigCondition): Uint8Array {
  return taggedHash('Strongbox/multisig', encodeMultisigCondition(condition));
}

/** Sorts the keys, so callers can pass them in any order. */
export function multisigOwner(threshold: number, keys: Uint8Array[]): Owner {
  const sorted = [...keys].sort(compareBytes);
  return { type: 'multisig', conditionHash: multisigConditionHash({ threshold, keys: sorted }) };
}

export function keyOwner(publicKey: Uint8Array): Owner {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) throw new AddressError(`a public key is ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`);
  return { type: 'key', publicKey };
}

/** The 33 bytes an output stores and the peg-in tweak commits to ("R"): type ‖ 32 bytes. */
export function ownerPayload(owner: Owner): Uint8Array {
  const payload = new Uint8Array(OWNER_PAYLOAD_LENGTH);
  const body = owner.type === 'key' ? owner.publicKey : owner.conditionHash;
  if (body.length !== 32) throw new AddressError(`owner body must be 32 bytes, got ${body.length}`);
  payload[0] = owner.type === 'key' ? OwnerType.Key : OwnerType.Multisig;
  payload.set(body, 1);
  return payload;
}

export function ownerFromPayload(payload: Uint8Array): Owner {
  if (payload.length !== OWNER_PAYLOAD_LENGTH) throw new AddressError(`owner payload must be ${OWNER_PAYLOAD_LENGTH} bytes, got ${payload.length}`);
  const body = payload.slice(1);
  if (payload[0] === OwnerType.Key) return { type: 'key', publicKey: body };
  if (payload[0] === OwnerType.Multisig) return { type: 'multisig', conditionHash: body };
  throw new AddressError(`unknown owner type ${payload[0]}`);
}

export function encodeAddress(owner: Owner): string {
  return bech32m.encode(ADDRESS_HRP, bech32m.toWords(ownerPayload(owner)));
}

/** Accepts the lowercase or the all-uppercase form (BIP-350); anything else is an AddressError. */
const BITCOIN_HRPS = new Set(['bc', 'tb', 'bcrt']);

/** Segwit addresses of Bitcoin's networks, or base58 ones (P2PKH, P2SH): said as such, a common slip. */
export function looksLikeBitcoin(address: string): boolean {
  return /^(bc|tb|bcrt)1[02-9ac-hj-np-z]{8,87}$/i.test(address) || /^[123mn][1-9A-HJ-NP-Za-km-z]{25,34}$/.test(address);
}

export function addressPayload(address: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(address as `${string}1${string}`);
  } catch (error) {
    if (looksLikeBitcoin(address)) throw new AddressError(`${address} is a Bitcoin address, not a Strongbox address (sbx1…)`);
    throw new AddressError(`not a bech32m address: ${(error as Error).message}`);
  }
  if (decoded.prefix !== ADDRESS_HRP) {
    const bitcoin = BITCOIN_HRPS.has(decoded.prefix) ? ': that is a Bitcoin address' : '';
    throw new AddressError(`address prefix must be "${ADDRESS_HRP}", got "${decoded.prefix}"${bitcoin}`);
  }
  let payload: Uint8Array;
  try {
    payload = bech32m.fromWords(decoded.words);
  } catch (error) {
    throw new AddressError(`bad address padding: ${(error as Error).message}`);
  }
  ownerFromPayload(payload);
  return payload;
}

export function decodeAddress(address: string): Owner {
  return ownerFromPayload(addressPayload(address));
}
