import { expect } from 'chai';
import { ValidationError } from '../../sidechain/errors.ts';
import { Mempool, type BlockLimits, type MempoolOptions } from '../../sidechain/mempool.ts';
import { toHex, txInfo, witnessTxId } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { SighashType, type Outpoint, type Transaction, type TransferBody } from '../../sidechain/transaction/types.ts';
import { applyBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { bitcoinTxid, btcOutput, CHAIN_ID, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { issueShare, registryUpdate, reissuance } from '../helpers/securities-fixtures.ts';
import { expectCode } from '../helpers/validation-error.ts';

const alice = testKey(1);
const bob = testKey(2);
const issuer = testKey(3);
const carol = testKey(4);

const ROOMY = { maxCount: 100, maxBytes: 1_000_000, maxOutputs: 100_000 };
const NO_LIMIT: BlockLimits = { transactions: 10, bytes: 1_000_000, inputs: 1_000, outputs: 1_000 };

function setup(options: Partial<MempoolOptions> = {}, coinCount = 3) {
  const state = new LedgerState();
  const coins = Array.from({ length: coinCount }, (_, n) => mint(state, alice.owner, 100n, n + 1));
  return { state, coins, pool: new Mempool(state, context(2), { ...ROOMY, ...options }) };
}

/** A transfer of `coins` (100 each) into `outputs` outputs to bob. */
function fanOut(coins: Outpoint[], outputs: number): Transaction {
  const total = 100n * BigInt(coins.length);
  const each = total / BigInt(outputs);
  return signedTransfer(coins, Array.from({ length: outputs }, (_, i) => btcOutput(bob.owner, i === 0 ? total - each * BigInt(outputs - 1) : each)), alice.seed);
}


describe('mempool', () => {
  it('admits valid transactions and selects them in arrival order', () => {
    const { pool, coins } = setup();
    const txs = coins.map((coin) => signedTransfer([coin], [btcOutput(bob.owner, 100n)], alice.seed));
    for (const tx of [txs[2]!, txs[0]!, txs[1]!]) pool.add(tx);
    expect(pool.select(NO_LIMIT)).to.deep.equal([txs[2], txs[0], txs[1]]);
    expect(pool.pendingTransactions()).to.deep.equal([txs[2], txs[0], txs[1]]);
  });

  it('rejects a double spend of a pending output, and a duplicate, leaving the pool unchanged', () => {
    const { pool, coins } = setup();
    const first = signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], alice.seed);
    pool.add(first);
    expectCode(() => pool.add(first), 'already-pending');
    const conflicting = signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed);
    expectCode(() => pool.add(conflicting), 'double-spend');
    expect(() => pool.add(conflicting)).to.throw(`input ${txInfo(conflicting).inputKeys[0]} is already spent by pending transaction ${txInfo(first).idHex}`);
    expect(pool.count).to.equal(1);
  });

  it('accepts a child spending a pending output', () => {
    const { pool, coins } = setup();
    const parent = signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed);
    pool.add(parent);
    pool.add(signedTransfer([{ txid: txInfo(parent).id, index: 0 }], [btcOutput(bob.owner, 100n)], alice.seed));
    expect(pool.count).to.equal(2);
  });

  it('says an output exists while it is unspent in the ledger or created by a pending transaction, and not once a pending one spends it', () => {
    const { pool, coins } = setup();
    const key = (outpoint: Outpoint) => `${toHex(outpoint.txid)}:${outpoint.index}`;
    const parent = signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed);
    const created = { txid: txInfo(parent).id, index: 0 };
    expect([pool.hasOutput(key(coins[0]!)), pool.hasOutput(key(created))]).to.deep.equal([true, false]);
    pool.add(parent);
    expect([pool.hasOutput(key(coins[0]!)), pool.hasOutput(key(created))]).to.deep.equal([false, true]);
  });

  it('refuses invalid transactions with the ledger code', () => {
    const { pool, coins } = setup();
    expectCode(() => pool.add(signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], bob.seed)), 'bad-signature');
    expectCode(() => pool.add(signedTransfer([coins[0]!], [btcOutput(bob.owner, 101n)], alice.seed)), 'value-not-conserved');
    expect(pool.count).to.equal(0);
  });

  it('is bounded by count and by bytes', () => {
    const { pool, coins } = setup({ maxCount: 2 });
    const txs = coins.map((coin) => signedTransfer([coin], [btcOutput(bob.owner, 100n)], alice.seed));
    pool.add(txs[0]!);
    pool.add(txs[1]!);
    expectCode(() => pool.add(txs[2]!), 'mempool-full');
    const small = setup({ maxBytes: txInfo(txs[0]!).size });
    small.pool.add(txs[0]!);
    expectCode(() => small.pool.add(txs[1]!), 'mempool-full');
  });

  it('is bounded by the outputs its transactions create, and admits again once a block took some', () => {
    const { state, pool, coins } = setup({ maxOutputs: 5 });
    const [three, alsoThree, two] = [fanOut([coins[0]!], 3), fanOut([coins[1]!], 3), fanOut([coins[2]!], 2)];
    pool.add(three);
    expectCode(() => pool.add(alsoThree), 'mempool-full');
    expect([pool.count, pool.outputCount]).to.deep.equal([1, 3]);
    pool.add(two);
    expect([pool.count, pool.outputCount]).to.deep.equal([2, 5]);
    applyBlock(state, [three], context(2));
    pool.blockApplied([three], state, context(3));
    expect(pool.outputCount).to.equal(2);
    pool.add(alsoThree);
    expect(pool.select(NO_LIMIT)).to.deep.equal([two, alsoThree]);
  });

  describe('selects for a block the longest arrival-order prefix within every limit', () => {
    // Pending, in order: 1 input and 3 outputs, 2 inputs and 1 output, 1 input and 2 outputs.
    const { pool, coins } = setup({}, 4);
    const txs = [fanOut([coins[0]!], 3), fanOut([coins[1]!, coins[2]!], 1), fanOut([coins[3]!], 2)];
    for (const tx of txs) pool.add(tx);
    const mintTx: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(50), bitcoinVout: 0, amount: 5n, recipient: alice.owner, witnesses: [] };
    const cases: { name: string; limits: Partial<BlockLimits>; reserved?: Transaction[]; selected: number }[] = [
      { name: 'no limit reached', limits: {}, selected: 3 },
      { name: 'transactions', limits: { transactions: 2 }, selected: 2 },
      { name: 'bytes', limits: { bytes: txInfo(txs[0]!).size + txInfo(txs[1]!).size }, selected: 2 },
      { name: 'outputs, the third would pass them', limits: { outputs: 5 }, selected: 2 },
      { name: 'outputs, the second fits only without the third', limits: { outputs: 4 }, selected: 2 },
      { name: 'outputs, the first alone fits', limits: { outputs: 3 }, selected: 1 },
      { name: 'outputs, not even the first fits', limits: { outputs: 2 }, selected: 0 },
      { name: 'inputs', limits: { inputs: 3 }, selected: 2 },
      { name: 'inputs, the second would pass them', limits: { inputs: 2 }, selected: 1 },
      { name: 'outputs, beside a reserved mint', limits: { outputs: 4 }, reserved: [mintTx], selected: 1 },
      { name: 'transactions, beside a reserved mint', limits: { transactions: 3 }, reserved: [mintTx], selected: 2 },
    ];
    for (const { name, limits, reserved, selected } of cases) {
      it(`stops at the limit on ${name}`, () => {
        const chosen = pool.select({ ...NO_LIMIT, ...limits }, reserved);
        expect(chosen).to.deep.equal(txs.slice(0, selected));
        // The same pool selects the same block every time: every member proposes from the same rule.
        expect(pool.select({ ...NO_LIMIT, ...limits }, reserved)).to.deep.equal(chosen);
      });
    }
  });

  it('refuses federation-only kinds from users', () => {
    const { pool } = setup();
    const mintTx: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(50), bitcoinVout: 0, amount: 5n, recipient: alice.owner, witnesses: [] };
    expectCode(() => pool.add(mintTx), 'not-relayable');
  });

  it('after a block, drops included transactions and those the block made invalid, with their children', () => {
    const { state, pool, coins } = setup();
    const included = signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], alice.seed);
    const kept = signedTransfer([coins[1]!], [btcOutput(bob.owner, 100n)], alice.seed);
    const conflicting = signedTransfer([coins[2]!], [btcOutput(bob.owner, 100n)], alice.seed);
    const child = signedTransfer([{ txid: txInfo(conflicting).id, index: 0 }], [btcOutput(alice.owner, 100n)], bob.seed);
    for (const tx of [included, kept, conflicting, child]) pool.add(tx);
    const rival = signedTransfer([coins[2]!], [btcOutput(alice.owner, 100n)], alice.seed);
    applyBlock(state, [included, rival], context(2));
    const evicted = pool.blockApplied([included, rival], state, context(3));
    expect(evicted).to.deep.equal([txInfo(conflicting).idHex, txInfo(child).idHex]);
    expect(pool.select(NO_LIMIT)).to.deep.equal([kept]);
    expect(pool.size).to.equal(txInfo(kept).size);
    // Whoever submitted the dropped ones can still learn why; the final and the kept ones were not dropped.
    const coin2 = `${toHex(coins[2]!.txid)}:${coins[2]!.index}`;
    expect(pool.whyDropped(txInfo(conflicting).idHex)).to.equal(`a block made it invalid before it was final: input ${coin2} is not in the UTXO set`);
    expect(pool.whyDropped(txInfo(child).idHex)).to.match(/^a block made it invalid before it was final: input [0-9a-f]{64}:0 is not in the UTXO set$/);
    expect([pool.whyDropped(txInfo(included).idHex), pool.whyDropped(txInfo(kept).idHex)]).to.deep.equal([undefined, undefined]);
  });

  it('finds a pending transaction by witness id until a block takes it or makes it invalid', () => {
    const { state, pool, coins } = setup();
    const included = signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], alice.seed);
    const kept = signedTransfer([coins[1]!], [btcOutput(bob.owner, 100n)], alice.seed);
    const conflicting = signedTransfer([coins[2]!], [btcOutput(bob.owner, 100n)], alice.seed);
    for (const tx of [included, kept, conflicting]) pool.add(tx);
    const witnessId = (tx: Transaction) => toHex(witnessTxId(tx));
    expect(pool.withWitnessId(witnessId(included))).to.equal(included);
    const rival = signedTransfer([coins[2]!], [btcOutput(alice.owner, 100n)], alice.seed);
    expect(pool.withWitnessId(witnessId(rival))).to.equal(undefined);
    applyBlock(state, [included, rival], context(2));
    pool.blockApplied([included, rival], state, context(3));
    expect(pool.withWitnessId(witnessId(included))).to.equal(undefined);
    expect(pool.withWitnessId(witnessId(conflicting))).to.equal(undefined);
    expect(pool.withWitnessId(witnessId(kept))).to.equal(kept);
  });

  describe('after a block, keeps exactly what validating everything pending again would keep', () => {
    /** A ledger at height 2, what is pending for height 3, and the block at height 3. */
    interface Case {
      name: string;
      build(state: LedgerState): { pending: Transaction[]; block: Transaction[]; dropped: [Transaction, RegExp][] };
    }
    const share = (state: LedgerState, restricted: boolean) => issueShare(state, issuer, 1_000n, { metadata: { restricted } });
    const outputOf = (tx: Transaction, index = 0): Outpoint => ({ txid: txInfo(tx).id, index });
    /** A transfer of the issuer's share coin: `amount` to `to`, the rest back to the issuer. */
    const fromIssuer = (coin: Outpoint, asset: Uint8Array, to: Uint8Array, amount: bigint) => signedTransfer([coin], [btcOutput(to, amount, asset), btcOutput(issuer.owner, 1_000n - amount, asset)], issuer.seed);
    const cases: Case[] = [
      {
        name: 'a double spend the block made, with the child of the transfer it displaced',
        build(state) {
          const coins = [mint(state, alice.owner, 100n, 1), mint(state, alice.owner, 100n, 2)];
          const displaced = signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], alice.seed);
          const child = signedTransfer([outputOf(displaced)], [btcOutput(carol.owner, 100n)], bob.seed);
          const untouched = signedTransfer([coins[1]!], [btcOutput(bob.owner, 100n)], alice.seed);
          const rival = signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed);
          return { pending: [displaced, child, untouched], block: [rival], dropped: [[displaced, /is not in the UTXO set/], [child, /is not in the UTXO set/]] };
        },
      },
      {
        name: 'the child of a transfer the block took, which stays',
        build(state) {
          const coin = mint(state, alice.owner, 100n, 1);
          const parent = signedTransfer([coin], [btcOutput(bob.owner, 100n)], alice.seed);
          const child = signedTransfer([outputOf(parent)], [btcOutput(carol.owner, 100n)], bob.seed);
          return { pending: [parent, child], block: [parent], dropped: [] };
        },
      },
      {
        name: 'an offer whose expiry height the next block passes',
        build(state) {
          const coins = [mint(state, alice.owner, 100n, 1), mint(state, alice.owner, 100n, 2)];
          const body: TransferBody = { kind: 'transfer', inputs: [coins[0]!], outputs: [btcOutput(bob.owner, 100n)] };
          const offer: Transaction = { ...body, witnesses: [keyWitness(CHAIN_ID, body, alice.seed, { sighash: SighashType.singleAnyoneCanPayExpiry, expiryHeight: 3 })] };
          const other = signedTransfer([coins[1]!], [btcOutput(bob.owner, 100n)], alice.seed);
          return { pending: [offer, other], block: [other], dropped: [[offer, /the offer was valid through block 3; this block is 4/]] };
        },
      },
      {
        name: 'a payment to an owner the block took off the allowlist, beside one to an owner still on it',
        build(state) {
          const { asset, coin } = share(state, true);
          applyBlock(state, [registryUpdate(asset, 1n, 'add', [bob.owner, carol.owner], issuer)], context(2));
          const toBob = fromIssuer(coin, asset, bob.owner, 10n);
          const toCarol = signedTransfer([outputOf(toBob, 1)], [btcOutput(carol.owner, 10n, asset), btcOutput(issuer.owner, 980n, asset)], issuer.seed);
          return { pending: [toBob, toCarol], block: [registryUpdate(asset, 2n, 'remove', [carol.owner], issuer)], dropped: [[toCarol, /is not on the allowlist/]] };
        },
      },
      {
        name: "an issuer's pending change whose sequence the block used, and a payment its allowlist entry allowed",
        build(state) {
          const { asset, coin } = share(state, true);
          applyBlock(state, [registryUpdate(asset, 1n, 'add', [bob.owner], issuer)], context(2));
          const addCarol = registryUpdate(asset, 2n, 'add', [carol.owner], issuer);
          const toCarol = fromIssuer(coin, asset, carol.owner, 10n);
          return {
            pending: [addCarol, toCarol],
            block: [registryUpdate(asset, 2n, 'add', [alice.owner], issuer)],
            dropped: [[addCarol, /must carry sequence 3, got 2/], [toCarol, /is not on the allowlist/]],
          };
        },
      },
      {
        name: 'a payment allowed by the very allowlist entry the block took, which stays',
        build(state) {
          const { asset, coin } = share(state, true);
          const addCarol = registryUpdate(asset, 1n, 'add', [carol.owner], issuer);
          const toCarol = fromIssuer(coin, asset, carol.owner, 10n);
          return { pending: [addCarol, toCarol], block: [addCarol], dropped: [] };
        },
      },
      {
        name: "a re-issuance whose sequence the block's allowlist change used, beside a transfer of the share, which stays",
        build(state) {
          const { asset, coin } = issueShare(state, issuer, 1_000n, { metadata: { reissuable: true } });
          const more = reissuance(asset, 1n, 5n, alice.owner, issuer);
          const toBob = fromIssuer(coin, asset, bob.owner, 10n);
          return { pending: [more, toBob], block: [registryUpdate(asset, 1n, 'add', [bob.owner], issuer)], dropped: [[more, /must carry sequence 2, got 1/]] };
        },
      },
    ];
    for (const { name, build } of cases) {
      it(name, () => {
        const state = new LedgerState();
        const { pending, block, dropped } = build(state);
        const pool = new Mempool(state, context(3), ROOMY);
        for (const tx of pending) pool.add(tx);
        applyBlock(state, block, context(3));
        const evicted = pool.blockApplied(block, state, context(4));
        expect(evicted).to.deep.equal(dropped.map(([tx]) => txInfo(tx).idHex));
        for (const [tx, reason] of dropped) expect(pool.whyDropped(txInfo(tx).idHex)).to.match(reason);
        // The oracle: a fresh pool over the new ledger admitting everything that was pending, in order.
        const fresh = new Mempool(state, context(4), ROOMY);
        for (const tx of pending) {
          try {
            fresh.add(tx);
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
          }
        }
        expect(pool.select(NO_LIMIT)).to.deep.equal(fresh.select(NO_LIMIT));
        expect([pool.count, pool.size, pool.outputCount]).to.deep.equal([fresh.count, fresh.size, fresh.outputCount]);
      });
    }
  });
});
