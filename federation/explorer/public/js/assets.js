// Asset names and decimals, so amounts read as "12.50 ACME" instead of base units of a hash.
import { find, get } from './api.js';
import { link } from './dom.js';
import { btc, formatUnits, short } from './format.js';

const known = new Map();
let btcAsset;

/** The pegged BTC asset id, as the member states it. */
export async function btcAssetId() {
  btcAsset ??= (await get('/supply')).pegged.asset;
  return btcAsset;
}

/** Loads what is not cached yet of the given asset ids; unknown ids stay unnamed. */
export async function loadAssets(ids) {
  const btcId = await btcAssetId();
  const missing = [...new Set(ids)].filter((id) => id !== btcId && !known.has(id));
  const found = await Promise.all(missing.map((id) => find(`/assets/${id}`)));
  missing.forEach((id, index) => {
    if (found[index]) known.set(id, found[index]);
  });
}

/** The address of an issued security's issuer; call `loadAssets` first. */
export const issuerAddressOf = (id) => known.get(id)?.issuerAddress;

export function assetLabel(id) {
  if (id === btcAsset) return 'BTC';
  const asset = known.get(id);
  return asset ? asset.name : short(id);
}

/** An amount in its asset's units and name; call `loadAssets` first. */
export function amountOf(id, amount) {
  if (id === btcAsset) return btc(amount);
  const asset = known.get(id);
  return asset ? `${formatUnits(amount, asset.decimals)} ${asset.name}` : `${amount} units`;
}

export function assetLink(id) {
  return id === btcAsset ? 'BTC' : link(`#/asset/${id}`, assetLabel(id));
}
