import { expect } from 'chai';
import { executeBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { warmTransactionSignatures } from '../../federation/member/signature-warmup.ts';
import { btcOutput, CHAIN_ID, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';

// Warming verifies ahead on the thread pool and decides nothing: the block is judged by executing it.
describe('verifying a block’s signatures ahead of executing it', () => {
  const alice = testKey(1);
  const bob = testKey(2);

  it('leaves a block whose transfers spend the ledger and each other to execute as before', async () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1_000n);
    const first = signedTransfer([coin], [btcOutput(bob.owner, 400n), btcOutput(alice.owner, 600n)], alice.seed);
    const second = signedTransfer([{ txid: txInfo(first).id, index: 0 }], [btcOutput(alice.owner, 400n)], bob.seed);
    await warmTransactionSignatures(state, [first, second], CHAIN_ID);
    expect(executeBlock(state, [first, second], context(2)).effects.txs).to.have.length(2);
  });

  it('never lets a signature by the wrong key through, nor fails on inputs it cannot attribute', async () => {
    const state = new LedgerState();
    const coin = mint(state, alice.owner, 1_000n);
    const stolen = signedTransfer([coin], [btcOutput(bob.owner, 1_000n)], bob.seed);
    const unknown = signedTransfer([{ txid: new Uint8Array(32).fill(7), index: 0 }], [btcOutput(bob.owner, 1n)], bob.seed);
    const noWitness: Transaction = { ...signedTransfer([coin], [btcOutput(bob.owner, 1_000n)], alice.seed), witnesses: [] };
    await warmTransactionSignatures(state, [stolen, unknown, noWitness], CHAIN_ID);
    expect(() => executeBlock(state, [stolen], context(2))).to.throw().with.property('code', 'bad-signature');
    expect(() => executeBlock(state, [unknown], context(2))).to.throw().with.property('code', 'missing-input');
  });
});
