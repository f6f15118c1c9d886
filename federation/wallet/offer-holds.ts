import { ValidationError } from '../../sidechain/errors.ts';
import { securityById, shortfall, type SecurityWording, type SpendableOutput } from './build-transfer.ts';
import type { OfferHold } from './wallet-file.ts';

const outpoint = (coin: SpendableOutput) => `${coin.txid}:${coin.vout}`;

/**
 * The recorded offers that can still settle: their coin is still the wallet's and unspent, and the
 * chain (at `height`) has not passed their expiry, so the next block may still take them. A taken,
 * withdrawn or lapsed offer holds nothing.
 */
export function openOfferHolds(holds: readonly OfferHold[], utxos: readonly SpendableOutput[], height: number): OfferHold[] {
  const unspent = new Set(utxos.map(outpoint));
  return holds.filter((hold) => unspent.has(hold.coin) && height < hold.expiryHeight);
}

/** "coin T:V backs the open offer F (valid through block H)", for each hold, as one phrase. */
export function describeHolds(holds: readonly OfferHold[]): string {
  return holds.map((hold) => `coin ${hold.coin} backs the open offer ${hold.offer} (valid through block ${hold.expiryHeight})`).join('; ');
}

/**
 * The wallet's coins to pay `amount` of `asset` from, for `selectCoins`: the coins backing no open
 * offer, since spending an offered coin leaves an offer no buyer can ever settle. When those fall
 * short and offered coins would make up the difference, refuses naming the offers in the way
 * (the ones selection would spend, oldest coin first) with `wayOut`, unless `spendOffered`: then
 * the offered coins come last. When even all the coins fall short, refuses naming all the wallet
 * holds. The refusals name `asset` and its amounts as `security` writes them, else by its id.
 */
export function coinsNotOffered(utxos: readonly SpendableOutput[], open: readonly OfferHold[], asset: string, amount: bigint, options: { spendOffered: boolean; wayOut: string; security?: SecurityWording }): SpendableOutput[] {
  const holdOf = new Map(open.map((hold) => [hold.coin, hold]));
  const free = utxos.filter((utxo) => !holdOf.has(outpoint(utxo)));
  const offered = utxos.filter((utxo) => holdOf.has(outpoint(utxo)));
  const ofAsset = (coins: readonly SpendableOutput[]) => coins.filter((coin) => coin.asset === asset);
  const sum = (coins: readonly SpendableOutput[]) => ofAsset(coins).reduce((total, coin) => total + coin.amount, 0n);
  const held = sum(utxos);
  if (held < amount) throw shortfall(asset, held, amount, options.security);
  const freeTotal = sum(free);
  if (freeTotal >= amount) return free;
  if (options.spendOffered) return [...free, ...offered];
  const inTheWay: OfferHold[] = [];
  let total = freeTotal;
  for (const coin of ofAsset(offered)) {
    if (total >= amount) break;
    inTheWay.push(holdOf.get(outpoint(coin))!);
    total += coin.amount;
  }
  const { name, units } = options.security ?? securityById(asset);
  throw new ValidationError('coin-offered', `the wallet's coins of ${name} that back no open offer hold ${units(freeTotal)}, not ${units(amount)}: ${describeHolds(inTheWay)}; ${options.wayOut}`);
}
