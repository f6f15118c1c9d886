import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';

/**
 * A decoded transaction hands back the bytes it was decoded from; a shallow copy is a new object
 * the codec has never seen, so encoding it writes every field again. Round-trip tests encode the
 * copy, or they would compare the input with itself.
 */
export function encodedAfresh(tx: Transaction): Uint8Array {
  return encodeTransaction({ ...tx });
}
