import { expect } from 'chai';
import { sha256 } from '@noble/hashes/sha2.js';
import { ValidationError } from '../../sidechain/errors.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { offerFromJson, offerToJson, type DvpOffer } from '../../sidechain/dvp-offer.ts';
import { encodeOutpoint, encodeOutput, encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { sighashMessage } from '../../sidechain/transaction/sighash.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { SighashType, type Transaction, type TransferBody } from '../../sidechain/transaction/types.ts';
import { applyBlock, applyTransaction, executeBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { acceptOffer, createOffer } from '../../federation/wallet/dvp.ts';
import type { SpendableOutput } from '../../federation/wallet/build-transfer.ts';
import { CHAIN_ID, context, mint } from '../helpers/ledger-fixtures.ts';
import { issueShare } from '../helpers/securities-fixtures.ts';
import { testWallet, type TestWallet } from '../helpers/transactions.ts';
import { expectCode } from '../helpers/validation-error.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function independentTaggedHash(tag: string, ...parts: Uint8Array[]): string {
  const t = sha256(new TextEncoder().encode(tag));
  return hex(sha256(new Uint8Array([...t, ...t, ...parts.flatMap((part) => [...part])])));
}


/**
 * The seller holds 100 shares in one coin; the buyer holds 80 000 sats. The seller offers the
 * shares for 50 000 sats until height 10.
 */
function market() {
  const state = new LedgerState();
  const seller = testWallet();
  const buyer = testWallet();
  const sellerKey = { seed: seller.keys.seed, publicKey: seller.keys.publicKey, owner: seller.owner };
  const { assetKey, coin } = issueShare(state, sellerKey, 100n);
  const cash = mint(state, buyer.owner, 80_000n, 1, 2);
  const sellerCoin: SpendableOutput = { txid: hex(coin.txid), vout: coin.index, asset: assetKey, amount: 100n };
  const payWith = { inputs: [cash], change: 30_000n };
  const offer = createOffer(CHAIN_ID, seller, sellerCoin, { asset: BTC_ASSET_ID, amount: 50_000n }, 10);
  const onChain = { owner: seller.owner, asset: assetKey, amount: 100n };
  return { state, seller, buyer, assetKey, offer, onChain, payWith };
}

function balances(state: LedgerState, wallet: TestWallet): Record<string, string> {
  const result: Record<string, bigint> = {};
  for (const utxo of state.utxos.values()) if (hex(utxo.owner) === hex(wallet.owner)) result[utxo.assetKey] = (result[utxo.assetKey] ?? 0n) + utxo.amount;
  return Object.fromEntries(Object.entries(result).map(([asset, amount]) => [asset, String(amount)]));
}

/** The buyer's completion with its outputs changed after signing (the seller's witness stays). */
function tampered(tx: Transaction, outputs: TransferBody['outputs'], buyer: TestWallet): Transaction {
  const body: TransferBody = { kind: 'transfer', inputs: (tx as TransferBody).inputs, outputs };
  return { ...body, witnesses: [tx.witnesses[0]!, keyWitness(CHAIN_ID, body, buyer.keys.seed, { inputIndex: 1 })] };
}

describe('delivery versus payment: expiring partial offers', () => {
  it('signs input, payment and expiry with sighash 0xc3, byte for byte', () => {
    const { offer } = market();
    const expiry = new Uint8Array([0, 0, 0, 10]);
    const expected = independentTaggedHash('Strongbox/sighash', CHAIN_ID, Uint8Array.of(0xc3, 1, 1), expiry, encodeOutpoint(offer.input), encodeOutput(offer.payment));
    const body: TransferBody = { kind: 'transfer', inputs: [offer.input], outputs: [offer.payment] };
    expect(hex(sighashMessage(CHAIN_ID, body, 0, SighashType.singleAnyoneCanPayExpiry, undefined, 10))).to.equal(expected);
    expect(hex(sighashMessage(CHAIN_ID, body, 0, SighashType.singleAnyoneCanPayExpiry, undefined, 11))).to.not.equal(expected);
    expect(() => sighashMessage(CHAIN_ID, body, 0, SighashType.singleAnyoneCanPayExpiry)).to.throw(ValidationError, 'needs expiry height');
  });

  it('swaps the security for the payment in one transaction: both legs, exactly', () => {
    const { state, seller, buyer, assetKey, offer, onChain, payWith } = market();
    const swap = acceptOffer(CHAIN_ID, offerFromJson(JSON.parse(JSON.stringify(offerToJson(offer)))), onChain, buyer, payWith);
    applyTransaction(state, swap, context(10));
    const btc = hex(BTC_ASSET_ID);
    expect(balances(state, seller)).to.deep.equal({ [btc]: '50000' });
    expect(balances(state, buyer)).to.deep.equal({ [assetKey]: '100', [btc]: '30000' });
  });

  const refusals: [string, (m: ReturnType<typeof market>, swap: Transaction) => Transaction, string, RegExp, number?][] = [
    ['a buyer paying less than the offer asks', (m, swap) => {
      const outputs = (swap as TransferBody).outputs;
      return tampered(swap, [{ ...outputs[0]!, amount: 49_999n }, outputs[1]!, { ...outputs[2]!, amount: 30_001n }], m.buyer);
    }, 'bad-signature', /input 0 .*signature does not verify/],
    ['a completion without the payment leg', (m, swap) => {
      const outputs = (swap as TransferBody).outputs;
      return tampered(swap, [outputs[1]!, { ...outputs[2]!, amount: 80_000n }], m.buyer);
    }, 'bad-signature', /input 0 .*signature does not verify/],
    ['a completion without the delivery leg', (m, swap) => {
      const outputs = (swap as TransferBody).outputs;
      return tampered(swap, [outputs[0]!, outputs[2]!], m.buyer);
    }, 'value-not-conserved', /inputs exceed outputs by 100/],
    ['an offer past its expiry height', (_m, swap) => swap, 'offer-expired', /the offer was valid through block 10; this block is 11/, 11],
    ['an expiry the buyer extended', (m, swap) => ({ ...swap, witnesses: [{ ...swap.witnesses[0]!, expiryHeight: 1000 }, swap.witnesses[1]!] }), 'bad-signature', /input 0/, 11],
  ];
  for (const [what, build, code, message, height] of refusals) {
    it(`refuses ${what} (${code}), and neither leg happens`, () => {
      const m = market();
      const swap = build(m, acceptOffer(CHAIN_ID, m.offer, m.onChain, m.buyer, m.payWith));
      const before = [balances(m.state, m.seller), balances(m.state, m.buyer)];
      expectCode(() => applyBlock(m.state, [swap], context(height ?? 5)), code, message);
      expect([balances(m.state, m.seller), balances(m.state, m.buyer)]).to.deep.equal(before);
    });
  }

  it('refuses a replay of a completed swap, and a second completion of the same offer', () => {
    const m = market();
    const swap = acceptOffer(CHAIN_ID, m.offer, m.onChain, m.buyer, m.payWith);
    const other = testWallet();
    const cash = mint(m.state, other.owner, 60_000n, 2, 2);
    const second = acceptOffer(CHAIN_ID, m.offer, m.onChain, other, { inputs: [cash], change: 10_000n });
    expectCode(() => applyBlock(m.state, [swap, second], context(5)), 'double-spend');
    applyTransaction(m.state, swap, context(5));
    expectCode(() => applyTransaction(m.state, swap, context(6)), 'missing-input', new RegExp(`input ${hex(m.offer.input.txid)}:0 is not in the UTXO set`));
    expectCode(() => applyTransaction(m.state, second, context(6)), 'missing-input');
    expect(balances(m.state, other)).to.deep.equal({ [hex(BTC_ASSET_ID)]: '60000' });
  });

  it('refuses a swap past the offer\'s expiry even after the same swap was valid at an earlier height', () => {
    const m = market();
    const swap = acceptOffer(CHAIN_ID, m.offer, m.onChain, m.buyer, m.payWith);
    executeBlock(m.state, [swap], context(10));
    expectCode(() => applyBlock(m.state, [swap], context(11)), 'offer-expired', /the offer was valid through block 10; this block is 11/);
  });

  it('lets the buyer check the offer before paying', () => {
    const m = market();
    const stranger = testWallet();
    expectCode(() => acceptOffer(CHAIN_ID, m.offer, { ...m.onChain, amount: 99n }, m.buyer, m.payWith), 'bad-offer', /holds 99 of asset [0-9a-f]{64}, not the 100/);
    expectCode(() => acceptOffer(CHAIN_ID, m.offer, { ...m.onChain, owner: stranger.owner }, m.buyer, m.payWith), 'bad-offer', /not signed by the owner of the offered coin/);
    expectCode(() => acceptOffer(new Uint8Array(32), m.offer, m.onChain, m.buyer, m.payWith), 'bad-offer', /another chain/);
    expectCode(() => acceptOffer(CHAIN_ID, m.offer, m.onChain, m.seller, m.payWith), 'own-offer', /this wallet made the offer.*dvp cancel/);
  });

  it('tells a buyer whose offer file was changed after the seller signed it so, and not to pay it', () => {
    const m = market();
    const signatureReason = 'offer: signature does not verify: not by the owner\'s key, or not over this transaction\'s sighash on this chain (chain id)';
    const edited = `the offer is not signed by the owner of the offered coin over what it says: the file was changed after it was signed (its price, payee, expiry or coin), or another key signed it (${signatureReason}); do not pay it: ask the seller for the offer again`;
    for (const changed of [
      { ...m.offer, payment: { ...m.offer.payment, amount: 1n } },
      { ...m.offer, payment: { ...m.offer.payment, owner: m.buyer.owner } },
      { ...m.offer, expiryHeight: m.offer.expiryHeight + 1000 },
    ]) {
      expect(() => acceptOffer(CHAIN_ID, changed, m.onChain, m.buyer, m.payWith)).to.throw(ValidationError).with.property('message', edited);
    }
    const gives = { ...m.offer, gives: { ...m.offer.gives, amount: 1000n } };
    expect(() => acceptOffer(CHAIN_ID, gives, m.onChain, m.buyer, m.payWith))
      .to.throw(ValidationError)
      .with.property('message', `the offered coin holds 100 of asset ${hex(m.offer.gives.asset)}, not the 1000 of ${hex(m.offer.gives.asset)} the offer names: the file was changed after it was written, or it names a coin it does not sell; do not pay it: ask the seller for the offer again`);
  });
});

describe('delivery versus payment: the offer exchange form', () => {
  const { offer } = market();
  const json = offerToJson(offer);
  const partialOf = (tx: Transaction) => offerToJson({ ...offer, witness: tx.witnesses[0]! } as DvpOffer).partial;

  it('round-trips through JSON unchanged', () => {
    expect(offerToJson(offerFromJson(JSON.parse(JSON.stringify(json))))).to.deep.equal(json);
  });

  const cases: [string, unknown, RegExp][] = [
    ['another version', { ...json, version: 2 }, /^offer version: /],
    ['an unknown field', { ...json, price: 1 }, /^offer document: /],
    ['a wallet file given as an offer', { version: 1, seed: '00'.repeat(32) }, /^not an offer: it has no "partial" \(an offer file is what `strongbox dvp offer` writes\)$/],
    ['a malformed partial', { ...json, partial: json.partial.slice(0, -2) }, /^offer partial: cannot decode transaction: truncated/],
    ['a zero amount', { ...json, gives: { ...json.gives, amount: '0' } }, /^offer gives\.amount: expected a positive whole amount/],
    ['an amount above 2^63-1, which no coin holds', { ...json, gives: { ...json.gives, amount: '9223372036854775808' } }, /^offer gives\.amount is above 2\^63-1$/],
    ['a partial signed ALL', { ...json, partial: partialOf({ kind: 'transfer', inputs: [offer.input], outputs: [offer.payment], witnesses: [keyWitness(CHAIN_ID, { kind: 'transfer', inputs: [offer.input], outputs: [offer.payment] }, new Uint8Array(32).fill(1))] }) }, /signed SINGLE\|ANYONECANPAY\|EXPIRY/],
    ['a partial signed SINGLE|ANYONECANPAY without expiry', { ...json, partial: partialOf({ kind: 'transfer', inputs: [offer.input], outputs: [offer.payment], witnesses: [keyWitness(CHAIN_ID, { kind: 'transfer', inputs: [offer.input], outputs: [offer.payment] }, new Uint8Array(32).fill(1), { sighash: SighashType.singleAnyoneCanPay })] }) }, /signed SINGLE\|ANYONECANPAY\|EXPIRY/],
  ];
  for (const [what, document, message] of cases) {
    it(`refuses ${what} (bad-offer)`, () => {
      expectCode(() => offerFromJson(document), 'bad-offer', message);
    });
  }

  it('refuses a partial with two inputs', () => {
    const body: TransferBody = { kind: 'transfer', inputs: [offer.input, { ...offer.input, index: 1 }], outputs: [offer.payment] };
    const partial = hex(encodeTransaction({ ...body, witnesses: [offer.witness, offer.witness] }));
    expectCode(() => offerFromJson({ ...json, partial }), 'bad-offer', /one input, one output and one witness/);
  });
});
