import { z } from 'zod';
import { ValidationError } from './errors.ts';
import { decodeTransaction, encodeTransaction } from './transaction/codec.ts';
import { toHex } from './transaction/ids.ts';
import { sighashMessage } from './transaction/sighash.ts';
import { verifyWitness } from './transaction/signing.ts';
import { SighashType, type Outpoint, type Output, type Transaction, type TransferBody, type Witness } from './transaction/types.ts';

/**
 * A seller's half of a delivery-versus-payment swap: "this coin (the security) for that output
 * (the payment), in a block no higher than the expiry". The witness signs exactly that with
 * SINGLE|ANYONECANPAY|EXPIRY, so a buyer can add inputs and outputs but change none of it. The
 * buyer completes it into one transaction with the offered coin and the payment at index 0; the
 * ledger applies both legs or neither.
 */
export interface DvpOffer {
  chainId: Uint8Array;
  input: Outpoint;
  /** What the seller says the coin holds; a buyer checks it against the chain before paying. */
  gives: { asset: Uint8Array; amount: bigint };
  payment: Output;
  /** Last block height that may include the swap. */
  expiryHeight: number;
  witness: Witness;
}

function fail(reason: string): never {
  throw new ValidationError('bad-offer', reason);
}

/** The one-input, one-output transfer the seller signs: the offer as a partial transaction. */
export function offerBody(input: Outpoint, payment: Output): TransferBody {
  return { kind: 'transfer', inputs: [input], outputs: [payment] };
}

/** What a buyer holding an offer that does not check out is told to do: a changed file is no offer of the seller's. */
export const DO_NOT_PAY = 'do not pay it: ask the seller for the offer again';

/** Checks the seller's signature against the owner of the offered coin, as the ledger will. */
export function verifyOfferSignature(offer: DvpOffer, coinOwner: Uint8Array): void {
  const message = sighashMessage(offer.chainId, offerBody(offer.input, offer.payment), 0, offer.witness.sighash, undefined, offer.expiryHeight);
  try {
    verifyWitness(coinOwner, offer.witness, message, 'offer');
  } catch (error) {
    if (error instanceof ValidationError) fail(`the offer is not signed by the owner of the offered coin over what it says: the file was changed after it was signed (its price, payee, expiry or coin), or another key signed it (${error.message}); ${DO_NOT_PAY}`);
    throw error;
  }
}

const hexString = z.string().regex(/^([0-9a-f]{2})+$/, 'expected lowercase hex');
const offerJsonSchema = z
  .object({
    version: z.literal(1),
    chainId: hexString.length(64, 'expected 32 bytes as 64 hex characters'),
    partial: hexString.max(2_000),
    gives: z.object({ asset: hexString.length(64, 'expected 32 bytes as 64 hex characters'), amount: z.string().regex(/^[1-9][0-9]{0,18}$/, 'expected a positive whole amount') }).strict(),
  })
  .strict();

export type DvpOfferJson = z.infer<typeof offerJsonSchema>;

/** The exchange form: the signed partial transaction in its canonical encoding, plus what the coin holds. */
export function offerToJson(offer: DvpOffer): DvpOfferJson {
  const partial: Transaction = { ...offerBody(offer.input, offer.payment), witnesses: [offer.witness] };
  return {
    version: 1,
    chainId: toHex(offer.chainId),
    partial: toHex(encodeTransaction(partial)),
    gives: { asset: toHex(offer.gives.asset), amount: offer.gives.amount.toString() },
  };
}

/** Parses the exchange form; anything but one input, one output and one expiring offer signature is refused. */
export function offerFromJson(json: unknown): DvpOffer {
  const result = offerJsonSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // A file of another kind (a wallet, say) is named as such, not by its first missing field.
    if (typeof json !== 'object' || json === null || !('partial' in json)) fail('not an offer: it has no "partial" (an offer file is what `strongbox dvp offer` writes)');
    fail(`offer ${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const parsed = result.data;
  let partial: Transaction;
  try {
    partial = decodeTransaction(new Uint8Array(Buffer.from(parsed.partial, 'hex')));
  } catch (error) {
    if (error instanceof ValidationError) fail(`offer partial: ${error.message}`);
    throw error;
  }
  if (partial.kind !== 'transfer' || partial.inputs.length !== 1 || partial.outputs.length !== 1 || partial.witnesses.length !== 1) {
    fail('offer partial must be a transfer with one input, one output and one witness');
  }
  const witness = partial.witnesses[0]!;
  if (witness.sighash !== SighashType.singleAnyoneCanPayExpiry || witness.expiryHeight === undefined) {
    fail('offer partial must be signed SINGLE|ANYONECANPAY|EXPIRY (0xc3)');
  }
  const amount = BigInt(parsed.gives.amount);
  if (amount > (1n << 63n) - 1n) fail('offer gives.amount is above 2^63-1');
  return {
    chainId: new Uint8Array(Buffer.from(parsed.chainId, 'hex')),
    input: partial.inputs[0]!,
    gives: { asset: new Uint8Array(Buffer.from(parsed.gives.asset, 'hex')), amount },
    payment: partial.outputs[0]!,
    expiryHeight: witness.expiryHeight,
    witness,
  };
}
