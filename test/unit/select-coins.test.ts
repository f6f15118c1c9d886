import { expect } from 'chai';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { checkTransaction } from '../../sidechain/transaction/check.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { LIMITS, SighashType, type Outpoint, type Output, type Transaction, type TransferBody, type Witness } from '../../sidechain/transaction/types.ts';
import { acceptOffer, createOffer } from '../../federation/wallet/dvp.ts';
import { buildPegout, buildTransfer, inputRoom, selectCoins, type SpendableOutput } from '../../federation/wallet/build-transfer.ts';
import { CHAIN_ID } from '../helpers/ledger-fixtures.ts';
import { testWallet } from '../helpers/transactions.ts';

const SHARE = 'aa'.repeat(32);
const share = new Uint8Array(Buffer.from(SHARE, 'hex'));
const coin = (n: number, amount: bigint, asset = SHARE): SpendableOutput => ({ txid: n.toString(16).padStart(64, '0'), vout: n, asset, amount });
/** `count` coins of `amount` each, numbered from `first`: oldest first, as a member lists them. */
const coins = (first: number, count: number, amount: bigint, asset = SHARE) => Array.from({ length: count }, (_, i) => coin(first + i, amount, asset));
const picked = (utxos: readonly SpendableOutput[], amount: bigint, room?: number) => selectCoins(utxos, share, amount, { room }).inputs.map((input) => input.index);
const refusal = (run: () => unknown): ValidationError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('selectCoins', () => {
  it('spends the oldest coins first when they fit, whatever their size', () => {
    const utxos = [coin(1, 5n), coin(2, 100n), coin(3, 1n), coin(4, 1000n)];
    expect(picked(utxos, 6n, 3)).to.deep.equal([1, 2]);
    expect(selectCoins(utxos, share, 6n, { room: 3 }).change).to.equal(99n);
  });

  it('at the boundary: oldest first as long as exactly `room` coins pay; one coin more needed, and a larger coin takes the place of the oldest', () => {
    const utxos = [...coins(1, 10, 1n), coin(11, 50n)];
    expect(picked(utxos, 4n, 4)).to.deep.equal([1, 2, 3, 4]);
    // Oldest first would take five of the ones; the largest coin and then the oldest, in the wallet's order.
    expect(picked(utxos, 5n, 4)).to.deep.equal([11]);
    expect(picked(utxos, 53n, 4)).to.deep.equal([1, 2, 3, 11]);
    expect(selectCoins(utxos, share, 53n, { room: 4 }).change).to.equal(0n);
  });

  it('pays with as few of the largest coins as let the oldest pay the rest within the room', () => {
    const utxos = [...coins(1, 6, 1n), coin(7, 10n), coin(8, 20n), coin(9, 3n)];
    // 31 from three coins: with the 20 alone the oldest ones add only two; with the 10 as well, the oldest one makes it.
    expect(picked(utxos, 31n, 3)).to.deep.equal([1, 7, 8]);
  });

  it('refuses, saying how many coins the wallet holds, how many fit and how to merge them, when no `room` of them hold the amount', () => {
    const utxos = [...coins(1, 10, 1n), coin(11, 50n)];
    const error = refusal(() => selectCoins(utxos, share, 55n, { room: 4, security: { name: 'Acme AB (SE0000108656)', units: (units) => `${units} shares` } }));
    expect(error.code).to.equal('too-many-coins');
    expect(error.message).to.equal(
      `the wallet's 11 coins of Acme AB (SE0000108656) hold 60 shares, but one transaction spends at most 4 of them, and its 4 largest hold 53 shares, not 55 shares: merge coins first by sending 53 to the wallet's own address (\`strongbox send --to <the wallet's sbx1… address> --asset ${SHARE} --amount 53 --file <wallet>\`), then pay again`,
    );
    const btc = refusal(() => selectCoins(coins(1, 3, 100n, BTC_ASSET_KEY), BTC_ASSET_ID, 250n, { room: 2 }));
    expect(btc.message).to.equal(
      "the wallet's 3 coins of pegged BTC hold 300 sats (0.00000300 BTC), but one transaction spends at most 2 of them, and its 2 largest hold 200 sats (0.00000200 BTC), not 250 sats (0.00000250 BTC): merge coins first by sending 200 to the wallet's own address (`strongbox send --to <the wallet's sbx1… address> --amount 200 --file <wallet>`), then pay again",
    );
  });

  it('refuses a wallet that holds too little as before, naming what it holds, before the count of its coins', () => {
    expect(refusal(() => selectCoins(coins(1, 3, 1n), share, 4n, { room: 1 })).code).to.equal('insufficient-funds');
  });
});

describe('inputRoom', () => {
  const wallet = testWallet();
  const recipient = testWallet().owner;

  it('is the most inputs of the wallet a payment with change can have and pass the chain\'s checks: one more is oversized', function () {
    this.timeout(60_000);
    const utxos = coins(1, 2_000, 1n);
    const room = inputRoom({ kind: 'transfer', inputs: [], outputs: [{ owner: recipient, asset: share, amount: 1n }, { owner: wallet.owner, asset: share, amount: 1n }], witnesses: [] });
    // Bytes bind before the count: a key-signed input and its witness take 102 of the 100 000.
    expect(room).to.be.below(LIMITS.maxInputs);
    const full = buildTransfer(CHAIN_ID, wallet, utxos.map((utxo) => ({ ...utxo, amount: 2n })), share, recipient, BigInt(room) * 2n - 1n);
    expect([full.inputs.length, full.outputs.length]).to.deep.equal([room, 2]);
    expect(() => checkTransaction(full)).to.not.throw();
    const body: TransferBody = { kind: 'transfer', inputs: [...full.inputs, { txid: new Uint8Array(32).fill(7), index: 0 }], outputs: full.outputs };
    const over = { ...body, witnesses: body.inputs.map((_, inputIndex) => keyWitness(CHAIN_ID, body, wallet.keys.seed, { inputIndex })) };
    expect(encodeTransaction(over).length).to.be.above(LIMITS.maxTxBytes);
    expect(() => checkTransaction(over)).to.throw(/above 100000/);
  });

  // Every shape a wallet pays in, without the wallet's inputs: signatures are not checked here, so any 64 bytes stand for them.
  const fakeWitness: Witness = { type: 'key', sighash: SighashType.all, signature: new Uint8Array(64) };
  const output = (amount: bigint): Output => ({ owner: recipient, asset: BTC_ASSET_ID, amount });
  const offer = createOffer(CHAIN_ID, wallet, coin(1, 10n), { asset: BTC_ASSET_ID, amount: 5_000n }, 1_000);
  const templates: [string, Transaction][] = [
    ['a payment and its change', { kind: 'transfer', inputs: [], outputs: [output(1n), output(1n)], witnesses: [] }],
    ['a peg-out and its change', { kind: 'pegout', inputs: [], outputs: [output(1n)], destinationScript: Buffer.from(`0020${'11'.repeat(32)}`, 'hex'), amount: 1n, witnesses: [] }],
    ["an acceptance: the seller's signed pair, the delivery and the change", acceptOffer(CHAIN_ID, offer, { owner: wallet.owner, asset: SHARE, amount: 10n }, testWallet(), { inputs: [], change: 1n })],
    ["a dividend of 999 holders' shares with the change", { kind: 'dividend', asset: share, recordHeight: 5, inputs: [], outputs: Array.from({ length: 1_000 }, () => output(1n)), witnesses: [] }],
  ];
  for (const [what, template] of templates) {
    it(`fits exactly its room of wallet inputs beside ${what}`, () => {
      const room = inputRoom(template);
      const filled = (count: number): Transaction => {
        const inputs = Array.from({ length: count }, (_, i) => ({ txid: new Uint8Array(32).fill(1), index: i }));
        const own = template as Transaction & { inputs: Outpoint[] };
        return { ...own, inputs: [...own.inputs, ...inputs], witnesses: [...own.witnesses, ...inputs.map(() => fakeWitness)] } as Transaction;
      };
      expect(room).to.be.above(0);
      expect(() => checkTransaction(filled(room))).to.not.throw();
      expect(() => checkTransaction(filled(room + 1))).to.throw(/above/);
    });
  }

  it('lets a wallet of more small coins than a transaction holds pay from a larger one, by transfer and by peg-out', () => {
    const utxos = [...coins(1, 1_500, 1n, BTC_ASSET_KEY), coin(1_501, 100_000n, BTC_ASSET_KEY)];
    const sent = buildTransfer(CHAIN_ID, wallet, utxos, BTC_ASSET_ID, recipient, 1_200n);
    expect(() => checkTransaction(sent)).to.not.throw();
    expect(sent.inputs.length).to.equal(1);
    const burned = buildPegout(CHAIN_ID, wallet, utxos, Buffer.from(`0014${'11'.repeat(20)}`, 'hex'), 1_200n);
    expect(() => checkTransaction(burned)).to.not.throw();
  });
});
