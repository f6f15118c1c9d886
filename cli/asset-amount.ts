import { BTC_ASSET_KEY, formatUnits, securityName } from '../sidechain/asset.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { MemberApiError, type AssetView, type MemberClient } from '../federation/api/client.ts';
import type { SecurityWording } from '../federation/wallet/build-transfer.ts';
import { satsToBtc } from '../watcher/btc-amount.ts';
import { plural } from '../federation/words.ts';

/** An issued security's registry record; an id the chain does not know is refused as such, not read as a zero balance. */
export async function registeredSecurity(client: MemberClient, asset: string): Promise<AssetView> {
  // Its id is a valid asset id, but the chain has no registry of it: "no security" alone would read as a typo.
  if (asset === BTC_ASSET_KEY) throw new ValidationError('not-a-security', `${asset} is pegged BTC, which has no issuer, registry or dividends: this command takes a security's asset id (listed at GET /assets and on the explorer's Assets page)`);
  try {
    return await client.asset(asset);
  } catch (error) {
    if (error instanceof MemberApiError && error.status === 404) {
      throw new ValidationError('unknown-asset', `no security ${asset} on this chain: asset ids are listed at GET /assets and on the explorer's Assets page`);
    }
    throw error;
  }
}

/** The registry record of a security, or undefined for pegged BTC, which has none. */
export async function securityView(client: MemberClient, asset: string): Promise<AssetView | undefined> {
  return asset === BTC_ASSET_KEY ? undefined : registeredSecurity(client, asset);
}

/**
 * An amount of an asset for a person: pegged BTC with its BTC figure; a security (`security`, its
 * registry record) by the name and ISIN its issuer registered, with the decimal figure its decimals
 * mean (amounts are given and taken in base units everywhere else).
 */
export function describeAmount(amount: bigint, asset: string, security: AssetView | undefined): string {
  if (security === undefined) return `${plural(amount, 'sat')} of pegged BTC (${satsToBtc(amount)} BTC)`;
  return `${unitsFigure(amount, security.decimals)} of ${securityName(asset, security)}`;
}

/** How a wallet's refusals write a security (`security`, its registry record), as describeAmount does. */
export function securityWording(asset: string, security: AssetView): SecurityWording {
  return { name: securityName(asset, security), units: (amount) => unitsFigure(amount, security.decimals) };
}

/** An amount of BTC on Bitcoin (a deposit to the escrow, say), in sats with its BTC figure. */
export function describeSats(sats: bigint): string {
  return `${plural(sats, 'sat')} (${satsToBtc(sats)} BTC)`;
}

/** describeAmount, the asset's registry record read from the member. */
export async function describeAmountOn(client: MemberClient, asset: string, amount: bigint): Promise<string> {
  return describeAmount(amount, asset, await securityView(client, asset));
}

/** Base units of a security, with the decimal figure beside them where it has decimals. */
export function unitsFigure(amount: bigint, decimals: number): string {
  return decimals === 0 ? `${amount}` : `${plural(amount, 'base unit')} (${formatUnits(amount, decimals)})`;
}
