import { encodeAddress, keyOwner, ownerFromPayload, ownerPayload } from '../address.ts';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../asset.ts';
import { toHex } from '../transaction/ids.ts';
import type { DividendBody, Output } from '../transaction/types.ts';
import type { UtxoChange } from './effects.ts';
import { LedgerError } from './errors.ts';
import { sortHolders, type Holder } from './holdings.ts';
import type { AssetRecord, LedgerReader } from './state.ts';

function fail(code: string, reason: string): never {
  throw new LedgerError(code, reason);
}

/** The address an issuer pays dividends from (and receives the change at): its issuer key's. */
export function issuerOwner(issuerKey: Uint8Array): Uint8Array {
  return ownerPayload(keyOwner(issuerKey));
}

/**
 * The pro-rata split of `total` satoshis among `holders` (balances at the record height, the
 * issuer's own holding already left out): the distribution outputs, in canonical owner order.
 *
 * Each holder first gets floor(total × balance / outstanding). The remainder, fewer satoshis than
 * there are holders, goes one satoshi each to the holders with the largest fractional parts
 * (total × balance mod outstanding), ties broken by owner payload ascending: the largest remainder
 * method, so no holder is ever more than one satoshi from its exact share. A holder whose share
 * is zero gets no output (amounts are at least 1).
 */
export function dividendOutputs(total: bigint, holders: readonly Holder[]): Output[] {
  if (holders.length === 0) fail('no-holders', 'nobody but the issuer held the asset at the record height');
  const outstanding = holders.reduce((sum, holder) => sum + holder.amount, 0n);
  const shares = sortHolders([...holders]).map((holder, index) => ({
    index,
    holder,
    amount: (total * holder.amount) / outstanding,
    fraction: (total * holder.amount) % outstanding,
  }));
  let remainder = total - shares.reduce((sum, share) => sum + share.amount, 0n);
  const byFraction = [...shares].sort((a, b) => (a.fraction !== b.fraction ? (a.fraction > b.fraction ? -1 : 1) : a.index - b.index));
  for (const share of byFraction) {
    if (remainder === 0n) break;
    share.amount += 1n;
    remainder -= 1n;
  }
  return shares.filter((share) => share.amount > 0n).map((share) => ({ owner: share.holder.owner, asset: BTC_ASSET_ID, amount: share.amount }));
}

/** Holders at the record height who are owed a dividend: everyone but the issuer (treasury holdings earn none). */
export function dividendHolders(holders: readonly Holder[], issuerKey: Uint8Array): Holder[] {
  const issuer = toHex(issuerOwner(issuerKey));
  return holders.filter((holder) => holder.ownerKey !== issuer);
}

const describe = (output: Output) => `${output.amount} sats to ${encodeAddress(ownerFromPayload(output.owner))}`;

/**
 * Checks a dividend against the register, as every member does before signing a block with it:
 * paid in pegged BTC from the issuer's address, to exactly the pro-rata distribution of its total
 * among the holders at the record height, followed by at most one change output to the issuer.
 * The total is what the distribution outputs add up to; conservation is checked by the caller.
 */
export function checkDividend(view: LedgerReader, tx: DividendBody, record: AssetRecord, spent: readonly UtxoChange[], height: number): void {
  const assetKey = toHex(tx.asset);
  if (tx.recordHeight >= height) fail('bad-record-height', `record height ${tx.recordHeight} must be below the height of the block paying the dividend (${height})`);
  const issuer = issuerOwner(record.issuer);
  const issuerKey = toHex(issuer);
  spent.forEach(({ key, utxo }) => {
    if (utxo.assetKey !== BTC_ASSET_KEY) fail('bad-distribution', `input ${key} is not pegged BTC: dividends are paid in pegged BTC`);
    if (toHex(utxo.owner) !== issuerKey) fail('not-issuer', `input ${key} is not the issuer's: a dividend of asset ${assetKey} is paid from its issuer's address`);
  });
  const last = tx.outputs[tx.outputs.length - 1]!;
  const hasChange = toHex(last.owner) === issuerKey;
  if (hasChange && toHex(last.asset) !== BTC_ASSET_KEY) fail('bad-distribution', 'the change output must be pegged BTC');
  const paid = hasChange ? tx.outputs.slice(0, -1) : tx.outputs;
  const total = paid.reduce((sum, output) => sum + output.amount, 0n);
  if (total === 0n) fail('bad-distribution', 'the dividend pays nothing to holders');
  const expected = dividendOutputs(total, dividendHolders(view.holdersAt(assetKey, tx.recordHeight), record.issuer));
  for (let index = 0; index < Math.max(expected.length, paid.length); index++) {
    const want = expected[index];
    const got = paid[index];
    const same = want && got && toHex(want.owner) === toHex(got.owner) && toHex(got.asset) === BTC_ASSET_KEY && want.amount === got.amount;
    if (same) continue;
    const wanted = want ? describe(want) : 'no output';
    const found = got ? (toHex(got.asset) === BTC_ASSET_KEY ? describe(got) : `asset ${toHex(got.asset)}`) : 'nothing';
    fail('bad-distribution', `output ${index} pays ${found}; the pro-rata distribution of ${total} sats at record height ${tx.recordHeight} has ${wanted} there`);
  }
}
