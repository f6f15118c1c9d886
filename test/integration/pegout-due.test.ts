import { expect } from 'chai';
import { DueStep } from '../../federation/member/due-step.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { PegoutBody, Transaction } from '../../sidechain/transaction/types.ts';
import { testFederation } from '../helpers/genesis.ts';
import { bitcoinTxid, btcOutput } from '../helpers/ledger-fixtures.ts';
import { bitcoinDestination } from '../helpers/peg-workload.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { memberPegout } from '../helpers/member-pegout.ts';
import { testWallet } from '../helpers/transactions.ts';

/**
 * A final burn's batch falls due when the proposer's batch window ends, counted from when the
 * oldest unsettled burn became final here; the member's signing step runs at that moment, and the
 * step finds the batch due, so it wakes consensus for the settlement then rather than at its next
 * periodic run.
 */
describe('a peg-out batch falls due as its batch window ends, and the step run then finds it due', function () {
  this.timeout(120_000);
  const federation = testFederation(5, 4);
  const { genesis } = federation;
  const batchWindowMs = 300;
  let fixture: ChainFixture;

  after(async () => {
    await fixture?.drop();
  });

  it("is due a window after the oldest unsettled burn's block became final here", async () => {
    fixture = await chainFixture('pegout_due');
    const { pegout, ledger, final, prepare } = await memberPegout(federation, fixture.store, batchWindowMs);
    const alice = testWallet();
    const mint: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(1), bitcoinVout: 0, amount: 1_000_000n, recipient: alice.owner, witnesses: [] };
    const burnOf = (input: Transaction, index: number, change: bigint): Transaction => {
      const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: txInfo(input).id, index }], outputs: [btcOutput(alice.owner, change)], destinationScript: bitcoinDestination().script, amount: 100_000n };
      return { ...body, witnesses: [keyWitness(genesis.chainId, body, alice.keys.seed)] };
    };

    final([mint]);
    expect(pegout.dueAtMs(), 'no burn waits').to.equal(undefined);

    const firstBurn = burnOf(mint, 0, 900_000n);
    const before = BigInt(Date.now());
    final([firstBurn]);
    const after = BigInt(Date.now());
    const dueAtMs = pegout.dueAtMs()!;
    const windowMs = BigInt(batchWindowMs);
    expect(before + windowMs <= dueAtMs && dueAtMs <= after + windowMs, `due at ${dueAtMs}: a window after the block became final, between ${before} and ${after}`).to.equal(true);

    // A burn final later joins the batch the oldest one opened: it does not hold it back.
    final([burnOf(firstBurn, 0, 800_000n)]);
    expect(pegout.dueAtMs()).to.equal(dueAtMs);

    const found = await new Promise<{ atMs: number; due: boolean }>((resolve) => {
      const step = new DueStep([pegout], () => {
        step.stop();
        const atMs = Date.now();
        void prepare().then(() => resolve({ atMs, due: pegout.hasPendingSettlement(ledger) }));
      });
      step.arm();
    });
    expect(found.atMs).to.be.at.least(Number(dueAtMs));
    expect(found.due, 'the step run as the window ends finds the batch due').to.equal(true);
  });

  it("says when its operator's approval of a burn held by the circuit breaker arrives, and the batch it lets through is due then", async () => {
    const own = await chainFixture('pegout_approved');
    try {
      const { pegout, ledger, final, prepare } = await memberPegout(federation, own.store, 0);
      const alice = testWallet();
      const mint: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(2), bitcoinVout: 0, amount: 1_000_000n, recipient: alice.owner, witnesses: [] };
      // 400,000 sats of 1,000,000 in reserves: beyond the breaker's quarter an hour.
      const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: txInfo(mint).id, index: 0 }], outputs: [btcOutput(alice.owner, 600_000n)], destinationScript: bitcoinDestination().script, amount: 400_000n };
      const burn: Transaction = { ...body, witnesses: [keyWitness(genesis.chainId, body, alice.keys.seed)] };
      final([mint]);
      final([burn]);
      await prepare();
      expect(pegout.hasPendingSettlement(ledger), 'held by the circuit breaker').to.equal(false);
      expect(await pegout.refreshApprovals(), 'nothing approved yet').to.equal(false);
      await own.store.approveBurns([txInfo(burn).id]);
      expect(await pegout.refreshApprovals(), 'the approval arrived').to.equal(true);
      await prepare();
      expect(pegout.hasPendingSettlement(ledger), 'approved, the batch is due').to.equal(true);
      expect(await pegout.refreshApprovals(), 'read once').to.equal(false);
    } finally {
      await own.drop();
    }
  });
});
