import { ValidationError } from '../sidechain/errors.ts';

/**
 * An issued security's id: 64 hex characters, in either case, as an address is taken in either
 * case (pegged BTC has no registry). Commands print it as the chain and the API write it, in
 * lowercase (`toHex` of what this returns).
 */
export function parseSecurity(value: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(value)) throw new ValidationError('bad-asset', `asset must be a 64-character hex asset id, got ${JSON.stringify(value)}`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

/** A block height or a number of blocks: a whole number 0..2^32-1. */
export function parseHeight(value: string, flag: string): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(value) || Number(value) > 0xffffffff) throw new ValidationError('bad-height', `${flag} must be a whole number of blocks, got ${JSON.stringify(value)}`);
  return Number(value);
}
