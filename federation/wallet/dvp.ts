import { ValidationError } from '../../sidechain/errors.ts';
import { DO_NOT_PAY, offerBody, verifyOfferSignature, type DvpOffer } from '../../sidechain/dvp-offer.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { SighashType, type Outpoint, type Output, type Transaction, type TransferBody } from '../../sidechain/transaction/types.ts';
import type { SpendableOutput } from './build-transfer.ts';
import type { Wallet } from './wallet-file.ts';

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/**
 * The seller's half: the whole coin `coin` for `price` paid to the wallet, in a block at most at
 * `expiryHeight`. Signed SINGLE|ANYONECANPAY|EXPIRY, so the seller need not be online when a
 * buyer completes it. Until then the seller can withdraw it by spending the coin.
 */
export function createOffer(chainId: Uint8Array, wallet: Wallet, coin: SpendableOutput, price: { asset: Uint8Array; amount: bigint }, expiryHeight: number): DvpOffer {
  if (!Number.isInteger(expiryHeight) || expiryHeight < 1 || expiryHeight > 0xffffffff) throw new ValidationError('bad-expiry', `expiry height must be 1..2^32-1, got ${expiryHeight}`);
  const input = { txid: bytes(coin.txid), index: coin.vout };
  const payment: Output = { owner: wallet.owner, asset: price.asset, amount: price.amount };
  const witness = keyWitness(chainId, offerBody(input, payment), wallet.keys.seed, { sighash: SighashType.singleAnyoneCanPayExpiry, expiryHeight });
  return { chainId, input, gives: { asset: bytes(coin.asset), amount: coin.amount }, payment, expiryHeight, witness };
}

/** The offered coin as the chain holds it: its owner (payload), asset (hex) and amount. */
export interface OfferedCoin {
  owner: Uint8Array;
  asset: string;
  amount: bigint;
}

export function checkOfferChain(chainId: Uint8Array, offer: DvpOffer): void {
  if (toHex(offer.chainId) !== toHex(chainId)) throw new ValidationError('bad-offer', 'the offer was made for another chain');
}

/** The coin holds what the offer names, and its owner signed the offer: what a buyer checks before paying. */
export function checkOfferedCoin(offer: DvpOffer, coin: OfferedCoin): void {
  if (coin.asset !== toHex(offer.gives.asset) || coin.amount !== offer.gives.amount) {
    throw new ValidationError('bad-offer', `the offered coin holds ${coin.amount} of asset ${coin.asset}, not the ${offer.gives.amount} of ${toHex(offer.gives.asset)} the offer names: the file was changed after it was written, or it names a coin it does not sell; ${DO_NOT_PAY}`);
  }
  verifyOfferSignature(offer, coin.owner);
}

/** Accepting one's own offer would pay its price to oneself: refused with the way out instead. */
export function checkBuyerIsNotSeller(coin: OfferedCoin, wallet: Wallet): void {
  if (toHex(coin.owner) === toHex(wallet.owner)) {
    throw new ValidationError('own-offer', 'this wallet made the offer: accepting it would pay its own price to itself; withdraw it with `strongbox dvp cancel`');
  }
}

/**
 * The buyer's half: checks the offer against the offered coin as the chain holds it, and that the
 * buyer is not the seller, then builds the one swap transaction. Index 0 is the seller's pair
 * (the coin in, the payment out), which the seller's signature covers; then the delivery to the
 * buyer and the buyer's change, paid from `payWith` (the wallet's coins of the payment asset
 * covering the price, and what is left over) and signed ALL by the buyer.
 */
export function acceptOffer(
  chainId: Uint8Array,
  offer: DvpOffer,
  coin: OfferedCoin,
  wallet: Wallet,
  payWith: { inputs: Outpoint[]; change: bigint },
): Transaction {
  checkOfferChain(chainId, offer);
  checkOfferedCoin(offer, coin);
  checkBuyerIsNotSeller(coin, wallet);
  const { inputs, change } = payWith;
  const outputs: Output[] = [offer.payment, { owner: wallet.owner, asset: offer.gives.asset, amount: offer.gives.amount }];
  if (change > 0n) outputs.push({ owner: wallet.owner, asset: offer.payment.asset, amount: change });
  const body: TransferBody = { kind: 'transfer', inputs: [offer.input, ...inputs], outputs };
  const buyerWitnesses = inputs.map((_, index) => keyWitness(chainId, body, wallet.keys.seed, { inputIndex: index + 1 }));
  return { ...body, witnesses: [offer.witness, ...buyerWitnesses] };
}
