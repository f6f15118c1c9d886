import { expect } from 'chai';
import { Pegin, PeginError } from '../../federation/member/pegin.ts';
import { PeginStore } from '../../federation/member/pegin-store.ts';
import { LedgerState } from '../../sidechain/ledger/index.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import type { Deposit } from '../../watcher/deposits.ts';
import { followerStartAt } from '../../watcher/follower/chain-follower.ts';
import { serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { testFederation } from '../helpers/genesis.ts';
import { bitcoinTxid, mint, testKey } from '../helpers/ledger-fixtures.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';
import { sharedRegtest } from '../helpers/regtest.ts';

/** The final ledger, noting each deposit it is asked about. */
class AskedLedger extends LedgerState {
  readonly asked: string[] = [];

  override isMinted(bitcoinOutpoint: string): boolean {
    this.asked.push(bitcoinOutpoint);
    return super.isMinted(bitcoinOutpoint);
  }
}

/**
 * The store keeps every deposit a member ever saw confirmed, and the proposer asks for pending
 * mints on every build and every news of work: what it walks must not grow with the history.
 */
describe('the mints a proposer has pending', function () {
  this.timeout(60_000);
  const { genesis } = testFederation(5, 4);
  const recipient = testKey(3).owner;
  const outpoint = (n: number) => `${Buffer.from(bitcoinTxid(n)).toString('hex')}:0`;
  const deposit = (n: number): Deposit => ({
    txid: Buffer.from(bitcoinTxid(n)).toString('hex'),
    vout: 0,
    amountSats: 50_000n,
    recipient: Buffer.from(recipient).toString('hex'),
    scriptPubKey: '',
    blockHash: '',
    height: n,
  });
  let db: TestDatabase;
  let pegin: Pegin;

  before(async () => {
    const { node } = await sharedRegtest();
    ({ db } = await chainFixture('pending_mints'));
    const store = new PeginStore(db.pool);
    const follower = await followerStartAt(node.rpc, await node.rpc.getBlockCount(), { confirmations: genesis.file.pegin.confirmations });
    await store.saveFollowerStep(serializeFollowerState(follower), [deposit(1), deposit(2), deposit(3)], []);
    pegin = await Pegin.start(genesis, node.rpc, store, capturedLog().log);
  });
  after(async () => {
    await db?.drop();
  });

  const minted = (mints: Transaction[]) => mints.map((tx) => (tx.kind === 'pegin' ? `${Buffer.from(tx.bitcoinTxid).toString('hex')}:${tx.bitcoinVout}` : tx.kind));

  it('proposes the deposits not yet minted, and asks the ledger again only about those', async () => {
    const ledger = new AskedLedger();
    mint(ledger, recipient, 50_000n, 1);
    mint(ledger, recipient, 50_000n, 2);
    ledger.asked.length = 0;

    expect(minted(pegin.pendingMints(ledger))).to.deep.equal([outpoint(3)]);
    expect(new Set(ledger.asked)).to.deep.equal(new Set([outpoint(1), outpoint(2), outpoint(3)]));

    ledger.asked.length = 0;
    expect(minted(pegin.pendingMints(ledger))).to.deep.equal([outpoint(3)]);
    expect(new Set(ledger.asked)).to.deep.equal(new Set([outpoint(3)]));

    mint(ledger, recipient, 50_000n, 3);
    expect(pegin.pendingMints(ledger)).to.deep.equal([]);
    ledger.asked.length = 0;
    expect(pegin.pendingMints(ledger)).to.deep.equal([]);
    expect(pegin.hasPendingMints(ledger)).to.equal(false);
    expect(ledger.asked).to.deep.equal([]);
  });

  it('proposes no mint and refuses every mint proposed to it while minting is halted after a deep Bitcoin reorg (pegin-halted)', async () => {
    const { node } = await sharedRegtest();
    const own = await chainFixture('halted_mints');
    try {
      const store = new PeginStore(own.db.pool);
      const follower = await followerStartAt(node.rpc, await node.rpc.getBlockCount(), { confirmations: genesis.file.pegin.confirmations });
      const halted = { ...follower, halted: true, deepReorg: { depth: 7, forkHeight: follower.chain[0]!.height - 7, revoked: [] } };
      await store.saveFollowerStep(serializeFollowerState(halted), [deposit(1)], []);
      const stopped = await Pegin.start(genesis, node.rpc, store, capturedLog().log);
      expect(stopped.halted).to.equal(true);
      const ledger = new LedgerState();
      expect(stopped.pendingMints(ledger), 'confirmed, but not proposed').to.deep.equal([]);
      const proposed: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(1), bitcoinVout: 0, amount: 50_000n, recipient, witnesses: [] };
      const refusal = await stopped.verifyMints([proposed]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).to.be.instanceOf(PeginError).with.property('code', 'pegin-halted');
      // Blocks without a mint are still voted for: only minting stops.
      await stopped.verifyMints([]);
    } finally {
      await own.drop();
    }
  });
});
