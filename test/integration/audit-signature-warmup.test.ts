import { expect } from 'chai';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { AuditFailure } from '../../federation/audit/auditor.ts';
import { memoryBlockSource } from '../../federation/audit/block-source.ts';
import { runAudit } from '../../federation/audit/run-audit.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { quorum, rewriteHistory, type SignedBlock } from '../helpers/signed-blocks.ts';
import { transfer } from '../helpers/transactions.ts';

/**
 * The audit verifies the signatures of the blocks it fetched ahead on the thread pool, guessing a
 * transfer's key from the outputs of the blocks before it; none of that may let a transfer the
 * owner did not sign through. Every block here spends the output the block before created, so
 * the guesses come from blocks still in flight as well as from the ledger.
 */
describe('audit verifying signatures ahead of the blocks it checks (real regtest node)', function () {
  this.timeout(120_000);
  // Longer than the 32 blocks fetched ahead, the forged block well past the first of them.
  const LENGTH = 96;
  const FORGED = 70;
  const { chain, alice, bob, asset } = paymentChain(LENGTH);
  const { chainId } = chain.federation.genesis;
  const blocks = chain.blocks;
  let rpc: BitcoinRpc;

  const payment = (height: number) => blocks[height - 1]!.transactions[0] as Transaction & TransferBody;
  /** Alice's change from the payment at `height`, which the next block spends. */
  const aliceChange = (height: number) => ({ txid: txId(payment(height)), index: 1, amount: payment(height).outputs[1]!.amount });
  /** The unit bob received at `height`, long in the ledger by the forged height. */
  const bobUnit = (height: number) => ({ txid: txId(payment(height)), index: 0, amount: 1n });
  const forge = (edit: (transactions: Transaction[]) => Transaction[]) => rewriteHistory(blocks, FORGED, edit, quorum(chain.federation));
  const audit = (served: readonly SignedBlock[]) => runAudit({ genesis: chain.federation.genesis, source: memoryBlockSource(served), bitcoin: rpc });

  before(async () => {
    ({ node: { rpc } } = await sharedRegtest());
  });

  it('passes the chain, and a block that also spends an output from long before, signed by its owner', async () => {
    expect((await audit(blocks)).height).to.equal(LENGTH);
    const report = await audit(forge((transactions) => [...transactions, transfer(chainId, bob, bobUnit(3), asset, alice.owner, 1n)]));
    expect(report).to.deep.include({ height: LENGTH, transactions: LENGTH + 1 });
  });

  const forgeries: { description: string; edit: (transactions: Transaction[]) => Transaction[] }[] = [
    {
      description: 'a valid signature by a key that does not own the output the block before created',
      edit: () => [transfer(chainId, bob, aliceChange(FORGED - 1), asset, bob.owner, 1n)],
    },
    {
      description: 'the owner’s signature over another transaction: the amounts changed after signing',
      edit: ([tx]) => {
        const pay = tx as Transaction & TransferBody;
        return [{ ...pay, outputs: [{ ...pay.outputs[0]!, amount: 2n }, { ...pay.outputs[1]!, amount: pay.outputs[1]!.amount - 1n }] }];
      },
    },
    {
      description: 'a valid signature by a key that does not own an output created long before',
      edit: (transactions) => [...transactions, transfer(chainId, alice, bobUnit(3), asset, alice.owner, 1n)],
    },
  ];
  for (const { description, edit } of forgeries) {
    it(`fails at the forged height, re-signed by a quorum: ${description}`, async () => {
      const failure = await audit(forge(edit)).then(
        () => expect.fail('the audit passed'),
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(AuditFailure);
      const { check, height, message } = failure as AuditFailure;
      expect({ check, height }).to.deep.equal({ check: 'ledger', height: FORGED });
      expect(message).to.match(/signature does not verify/);
    });
  }
});
