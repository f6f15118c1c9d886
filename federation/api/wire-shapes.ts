import { z } from 'zod';
import { ADDRESS_HRP } from '../../sidechain/address.ts';
import { SECURITY_KINDS } from '../../sidechain/asset.ts';

/**
 * Pieces of the JSON answers that several routes share, as the wire carries them: bigint as
 * decimal strings and bytes as lowercase hex (see json.ts). Objects are strict so that a field a
 * handler adds without documenting it fails the response test.
 */

/** A bigint as the wire writes it: exact, whatever its size. */
export const decimalString = (description: string) => z.string().regex(/^(0|[1-9][0-9]*)$/, 'expected a non-negative integer as a decimal string').describe(description);
export const baseUnits = decimalString('amount in base units of the asset (satoshis for pegged BTC), as a decimal string');
export const sats = decimalString('satoshis, as a decimal string');

export const hexBytes = (description: string) => z.string().regex(/^([0-9a-f]{2})*$/, 'expected lowercase hex').describe(description);
export const hex32 = (description: string) => z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex').describe(description);
export const txid = hex32('transaction id: 32 bytes as lowercase hex');
export const assetId = hex32('asset id: 32 bytes as lowercase hex');
/**
 * An asset id as a request names it: hex in either case, as an address may be written in either
 * case; the handler reads the lowercase form every answer carries.
 */
export const assetIdParam = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'expected an asset id: 32 bytes as hex')
  .transform((id) => id.toLowerCase())
  .describe('asset id: 32 bytes as hex, in either case');
export const bitcoinTxid = hex32('Bitcoin transaction id, hex as Bitcoin shows it');
export const issuerKey = hex32("the issuer's Ed25519 public key, as hex");

export const height = z.number().int().min(0).describe('sidechain block height');
/** A non-negative integer: an index, a count, a round. */
export const uint = z.number().int().min(0);
export const memberIndex = z.number().int().min(0).describe("a member's index in the genesis member list");
/**
 * A block's time: the signed header's 64-bit field, written as every bigint of the chain is. What a
 * member's own clock reads (lastSeenMs, nowMs, startedMs, sinceMs) is a JSON number instead.
 */
export const timeMs = decimalString('ms since the epoch, as a decimal string');

export const bitcoinConfirmations = uint.describe("confirmations of the Bitcoin transaction in this member's node so far");
export const requiredConfirmations = uint.describe('confirmations a deposit needs before it is minted: the genesis depth, and at least 100 for one paid by a coinbase');

export const address = z
  .string()
  .regex(new RegExp(`^${ADDRESS_HRP}1[02-9ac-hj-np-z]+$`), 'expected a sidechain address')
  .describe(`sidechain address (bech32m, ${ADDRESS_HRP}1…)`);
export const bitcoinAddress = z.string().min(1).describe('Bitcoin address of the network the chain is pegged to');

/** What every refusal carries (4xx, 503), and each refused transaction of POST /txs. */
export const error = z.strictObject({
  code: z.string().describe('stable, machine-readable reason, e.g. `not-found`, `double-spend`'),
  message: z.string().describe('the reason in words, for a person'),
});
export const errorBody = z.strictObject({ error });

/** A page of a list route: the items under `key`, and the cursor of the page after it. */
export function page(key: string, item: z.ZodType) {
  return z.strictObject({ [key]: z.array(item), next: z.string().nullable().describe('the `cursor` of the following page; null on the last page') });
}

/** A final output not spent yet, by its outpoint. */
export const unspentOutput = z.strictObject({ txid, vout: uint, asset: assetId, amount: baseUnits, height: height.describe('the block that created it') });

/** An issued security's registered terms, as its issuance carries them. */
export const assetMetadataShape = {
  name: z.string(),
  isin: z.string().describe('ISIN the security is registered under (several assets may share one)'),
  securityKind: z.enum(SECURITY_KINDS),
  decimals: z.number().int().min(0).describe('decimal places of one unit: base units are 10^-decimals of a unit'),
  restricted: z.boolean().describe('only allowlisted addresses may receive it'),
  reissuable: z.boolean().describe('its issuer may issue more later'),
};
