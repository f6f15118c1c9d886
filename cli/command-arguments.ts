import { ValidationError } from '../sidechain/errors.ts';
import { networks } from 'bitcoinjs-lib';
import { AddressError, addressPayload, looksLikeBitcoin } from '../sidechain/address.ts';
import { bitcoinAddressScript, isStrongboxAddress } from '../watcher/bitcoin-address.ts';
import { BTC_ASSET_ID } from '../sidechain/asset.ts';
import { LIMITS } from '../sidechain/transaction/types.ts';

/**
 * An issued security's id: 64 hex characters, in either case, as an address is taken in either
 * case (pegged BTC has no registry). Commands print it as the chain and the API write it, in
 * lowercase (`toHex` of what this returns).
 */
export function parseSecurity(value: string): Uint8Array {
  return hexAssetId(value, 'a 64-character hex asset id');
}

/** What `send` takes: `BTC` (any case) for pegged BTC, or a security's id as `parseSecurity` takes it. */
export function parseAsset(value: string): Uint8Array {
  if (value.toUpperCase() === 'BTC') return BTC_ASSET_ID;
  return hexAssetId(value, 'BTC or a 64-character hex asset id');
}

function hexAssetId(value: string, expected: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(value)) throw new ValidationError('bad-asset', `asset must be ${expected}, got ${JSON.stringify(value)}`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

/** A block height or a number of blocks: a whole number 0..2^32-1. */
export function parseHeight(value: string, flag: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new ValidationError('bad-height', `${flag} must be a whole number of blocks, got ${JSON.stringify(value)}`);
  // A height is 4 bytes on the chain: a larger number is whole all the same, and too large.
  if (value.length > 10 || Number(value) > 0xffffffff) throw new ValidationError('bad-height', `${flag} must be at most 4294967295 (2^32-1) blocks, got ${value}`);
  return Number(value);
}

/** An amount as the command line takes it: whole base units, named by the option `flag` that gave it. */
export function parseAmount(value: string, flag: string): bigint {
  if (!/^[1-9][0-9]*$/.test(value)) {
    throw new ValidationError('bad-amount', `${flag} must be a positive whole number of base units (sats for pegged BTC; 1.00 of a security with 2 decimals is 100), got ${JSON.stringify(value)}`);
  }
  // Every amount on the chain is at most 2^63-1 base units: anything above could never be paid.
  if (value.length > 19 || BigInt(value) > LIMITS.maxAmount) throw new ValidationError('bad-amount', `${flag} must be at most ${LIMITS.maxAmount} (2^63-1) base units, got ${value}`);
  return BigInt(value);
}

/**
 * A Strongbox address (sbx1…), in lowercase: bech32m takes one in capitals as well, and commands
 * echo it as the chain and the API write it.
 */
export function parseAddress(value: string): string {
  try {
    addressPayload(value);
  } catch (error) {
    // A Bitcoin address is said to be one; anything else is said to be no Strongbox address, with the reason.
    if (error instanceof AddressError && !looksLikeBitcoin(value)) throw new AddressError(`${JSON.stringify(value)} is not a Strongbox address (sbx1…): ${error.message}`);
    throw error;
  }
  return value.toLowerCase();
}

/**
 * A Bitcoin address on regtest, for the regtest helpers, checked before the node is asked: one of
 * another network is refused naming it, and a Strongbox address with how BTC reaches one.
 */
export function parseRegtestAddress(value: string): string {
  if (isStrongboxAddress(value)) {
    throw new AddressError(`${value} is a Strongbox address: BTC reaches it by a peg-in (strongbox pegin-address ${value} gives the bcrt1… address to fund)`);
  }
  bitcoinAddressScript(value, networks.regtest, 'regtest', 'bad-address');
  return value.trim();
}

/** A transaction id: 64 hex characters in either case, as asset ids are taken, returned in lowercase as the chain and the API write it. */
export function parseTxid(value: string, flag?: string): string {
  if (!/^[0-9a-f]{64}$/i.test(value)) throw new ValidationError('bad-txid', `${flag ? `${flag}: ` : ''}not a transaction id (64 hex characters): ${JSON.stringify(value)}`);
  return value.toLowerCase();
}
