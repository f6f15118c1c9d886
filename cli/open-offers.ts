import { resolve } from 'node:path';
import { ValidationError } from '../sidechain/errors.ts';
import type { MemberClient } from '../federation/api/client.ts';
import type { SpendableOutput } from '../federation/wallet/build-transfer.ts';
import { describeHolds, openOfferHolds } from '../federation/wallet/offer-holds.ts';
import { readOfferHolds, writeOfferHolds, type OfferHold } from '../federation/wallet/wallet-file.ts';

/** The wallet's offer records, and those of offers that can still settle given its unspent coins; the chain's tip is asked only when there are records. */
export async function walletOffers(client: MemberClient, walletFile: string, utxos: readonly SpendableOutput[]): Promise<{ recorded: OfferHold[]; open: OfferHold[] }> {
  const recorded = readOfferHolds(walletFile);
  if (recorded.length === 0) return { recorded, open: [] };
  return { recorded, open: openOfferHolds(recorded, utxos, (await client.status()).height) };
}

/**
 * Records in the wallet file that `coin` backs the offer written to `offerFile`, dropping the
 * records found lapsed (in `offers.recorded`, not in `offers.open`). The file is read again first:
 * the wallet lock keeps the `dvp offer`s of this machine apart, but one run from another machine
 * on a shared folder (where this one's pids mean nothing) may have given the same coin to its
 * offer meanwhile, and then this one is refused (its caller removes its file) rather than left
 * unable to settle.
 */
export function recordOffer(walletFile: string, offers: { recorded: readonly OfferHold[]; open: readonly OfferHold[] }, offerFile: string, coin: SpendableOutput, expiryHeight: number): void {
  const stillOpen = new Set(offers.open.map((hold) => hold.coin));
  const lapsed = new Set(offers.recorded.map((hold) => hold.coin).filter((held) => !stillOpen.has(held)));
  const recorded = readOfferHolds(walletFile);
  const hold: OfferHold = { coin: `${coin.txid}:${coin.vout}`, offer: resolve(offerFile), expiryHeight };
  const taken = recorded.filter((other) => other.coin === hold.coin && !lapsed.has(other.coin));
  if (taken.length > 0) throw new ValidationError('coin-offered', `${describeHolds(taken)}, recorded by another dvp offer while this one was made; ${offerFile} is removed: run dvp offer again`);
  writeOfferHolds(walletFile, [...recorded.filter((other) => !lapsed.has(other.coin)), hold]);
}

/**
 * Drops from the wallet file the records of the offers whose coins `spent` (outpoints "txid:vout")
 * took, and returns them: an offer whose coin is spent can never settle, so its record holds
 * nothing. The file is read again, keeping what a `dvp offer` run meanwhile recorded.
 */
export function dropSpentOffers(walletFile: string, spent: ReadonlySet<string>): OfferHold[] {
  const recorded = readOfferHolds(walletFile);
  const dropped = recorded.filter((hold) => spent.has(hold.coin));
  if (dropped.length > 0) writeOfferHolds(walletFile, recorded.filter((hold) => !spent.has(hold.coin)));
  return dropped;
}
