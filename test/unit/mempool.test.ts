import { expect } from 'chai';
import { ValidationError } from '../../sidechain/errors.ts';
import { Mempool } from '../../sidechain/mempool.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { applyBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { bitcoinTxid, btcOutput, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';

const alice = testKey(1);
const bob = testKey(2);

function setup(maxCount = 100, maxBytes = 1_000_000) {
  const state = new LedgerState();
  const coins = [1, 2, 3].map((n) => mint(state, alice.owner, 100n, n));
  return { state, coins, pool: new Mempool(state, context(2), { maxCount, maxBytes }) };
}

function expectCode(action: () => unknown, code: string): void {
  expect(action).to.throw(ValidationError).with.property('code', code);
}

describe('mempool', () => {
  it('admits valid transactions and selects them in arrival order', () => {
    const { pool, coins } = setup();
    const txs = coins.map((coin) => signedTransfer([coin], [btcOutput(bob.owner, 100n)], alice.seed));
    for (const tx of [txs[2]!, txs[0]!, txs[1]!]) pool.add(tx);
    expect(pool.select(10, 1_000_000)).to.deep.equal([txs[2], txs[0], txs[1]]);
    expect(pool.select(2, 1_000_000)).to.deep.equal([txs[2], txs[0]]);
    expect(pool.select(10, txInfo(txs[2]!).size)).to.deep.equal([txs[2]]);
  });

  it('rejects a double spend of a pending output, and a duplicate, leaving the pool unchanged', () => {
    const { pool, coins } = setup();
    const first = signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], alice.seed);
    pool.add(first);
    expectCode(() => pool.add(first), 'already-pending');
    expectCode(() => pool.add(signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed)), 'double-spend');
    expect(pool.count).to.equal(1);
  });

  it('accepts a child spending a pending output', () => {
    const { pool, coins } = setup();
    const parent = signedTransfer([coins[0]!], [btcOutput(alice.owner, 100n)], alice.seed);
    pool.add(parent);
    pool.add(signedTransfer([{ txid: txInfo(parent).id, index: 0 }], [btcOutput(bob.owner, 100n)], alice.seed));
    expect(pool.count).to.equal(2);
  });

  it('refuses invalid transactions with the ledger code', () => {
    const { pool, coins } = setup();
    expectCode(() => pool.add(signedTransfer([coins[0]!], [btcOutput(bob.owner, 100n)], bob.seed)), 'bad-signature');
    expectCode(() => pool.add(signedTransfer([coins[0]!], [btcOutput(bob.owner, 101n)], alice.seed)), 'value-not-conserved');
    expect(pool.count).to.equal(0);
  });

  it('is bounded by count and by bytes', () => {
    const { pool, coins } = setup(2);
    const txs = coins.map((coin) => signedTransfer([coin], [btcOutput(bob.owner, 100n)], alice.seed));
    pool.add(txs[0]!);
    pool.add(txs[1]!);
    expectCode(() => pool.add(txs[2]!), 'mempool-full');
    const small = setup(100, txInfo(txs[0]!).size);
    small.pool.add(txs[0]!);
    expectCode(() => small.pool.add(txs[1]!), 'mempool-full');
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
    expect(pool.select(10, 1_000_000)).to.deep.equal([kept]);
    expect(pool.size).to.equal(txInfo(kept).size);
  });
});
