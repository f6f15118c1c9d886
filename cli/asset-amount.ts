import { BTC_ASSET_KEY, formatUnits } from '../sidechain/asset.ts';
import type { AssetView, MemberClient } from '../federation/api/client.ts';
import { satsToBtc } from '../watcher/btc-amount.ts';

/** The registry record of a security, or undefined for pegged BTC, which has none. */
export async function securityView(client: MemberClient, asset: string): Promise<AssetView | undefined> {
  return asset === BTC_ASSET_KEY ? undefined : client.asset(asset);
}

/**
 * An amount of an asset for a person: pegged BTC with its BTC figure; a security (`security`, its
 * registry record) by the name and ISIN its issuer registered, with the decimal figure its decimals
 * mean (amounts are given and taken in base units everywhere else).
 */
export function describeAmount(amount: bigint, asset: string, security: AssetView | undefined): string {
  if (security === undefined) return `${amount} sats of pegged BTC (${satsToBtc(amount)} BTC)`;
  const figure = security.decimals === 0 ? `${amount}` : `${amount} base units (${formatUnits(amount, security.decimals)})`;
  return `${figure} of ${security.name} (${security.isin}) ${asset}`;
}
