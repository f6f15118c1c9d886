import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { LedgerState } from '../../sidechain/ledger/index.ts';
import { PeginStore } from '../../federation/member/pegin-store.ts';
import { listDeposits, type DepositView } from '../../federation/member/pegin-deposits.ts';
import { applyFollowerEvent, initialFollowerState, type FollowerState } from '../../watcher/follower/machine.ts';
import { serializeFollowerState } from '../../watcher/follower/state-codec.ts';
import type { Deposit } from '../../watcher/deposits.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';
import { testFederation } from '../helpers/genesis.ts';
import { testWallet } from '../helpers/transactions.ts';

const hashOf = (label: string) => createHash('sha256').update(label).digest('hex');
const block = (height: number) => ({ height, hash: hashOf(`block ${height}`), prevHash: hashOf(`block ${height - 1}`) });

/** What a member lists as its peg-in deposits, from the follower state and confirmed rows in its own Postgres. */
describe('peg-in deposit list from a member database', () => {
  const { genesis } = testFederation();
  const recipient = Buffer.from(testWallet().owner).toString('hex');
  const deposit = (label: string, height: number): Deposit => ({ txid: hashOf(label), vout: 0, amountSats: 500_000n, recipient, scriptPubKey: '0020' + hashOf(`script ${label}`), blockHash: block(height).hash, height });
  const first = deposit('first', 101);
  const second = deposit('second', 102);
  let db: TestDatabase;
  let store: PeginStore;

  /** The follower after blocks 101 (holding `first`) and `upTo`, in order. */
  function followerAt(upTo: number, deposits: Record<number, Deposit[]> = { 101: [first] }): FollowerState {
    let state = initialFollowerState(block(100), { confirmations: genesis.file.pegin.confirmations });
    for (let height = 101; height <= upTo; height++) state = applyFollowerEvent(state, { type: 'connect', blocks: [{ ...block(height), deposits: deposits[height] ?? [] }] }).state;
    return state;
  }
  const noCoinbase = async () => false;
  const summary = (views: DepositView[]) => views.map((v) => `${v.txid === first.txid ? 'first' : 'second'} ${v.state} ${v.confirmations}/${v.required}`);

  beforeEach(async () => {
    ({ db } = await chainFixture('deposits'));
    store = new PeginStore(db.pool);
  });
  afterEach(() => db.drop());

  it('lists nothing before the follower has a position', async () => {
    expect(await listDeposits(store, genesis, new LedgerState(), noCoinbase)).to.deep.equal([]);
  });

  it('shows a deposit below the depth as confirming, with its confirmations', async () => {
    await store.saveFollowerStep(serializeFollowerState(followerAt(101)), [], []);
    expect(summary(await listDeposits(store, genesis, new LedgerState(), noCoinbase))).to.deep.equal(['first confirming 1/2']);
  });

  it('shows a deposit at the depth as confirmed until the ledger mints it, then as minted, newest deposit first', async () => {
    await store.saveFollowerStep(serializeFollowerState(followerAt(102, { 101: [first], 102: [second] })), [first], []);
    const ledger = new LedgerState();
    expect(summary(await listDeposits(store, genesis, ledger, noCoinbase))).to.deep.equal(['second confirming 1/2', 'first confirmed 2/2']);
    ledger.addMinted(`${first.txid}:0`);
    expect(summary(await listDeposits(store, genesis, ledger, noCoinbase))).to.deep.equal(['second confirming 1/2', 'first minted 2/2']);
  });

  it('shows a deposit paid by a coinbase as confirming until its 100 confirmations, asking the node only of deposits waiting for their mint', async () => {
    await store.saveFollowerStep(serializeFollowerState(followerAt(102, { 101: [first], 102: [second] })), [first], []);
    const asked: string[] = [];
    const coinbase = async (txid: string) => {
      asked.push(txid);
      return txid === first.txid;
    };
    const ledger = new LedgerState();
    expect(summary(await listDeposits(store, genesis, ledger, coinbase))).to.deep.equal(['second confirming 1/2', 'first confirming 2/100']);
    expect(asked.sort()).to.deep.equal([first.txid, second.txid].sort());
    asked.length = 0;
    ledger.addMinted(`${first.txid}:0`);
    expect(summary(await listDeposits(store, genesis, ledger, coinbase))).to.deep.equal(['second confirming 1/2', 'first minted 2/2']);
    expect(asked, 'a minted deposit is not asked about').to.deep.equal([second.txid]);
  });

  it('lists a deposit once when the follower state read is older than the confirmed rows', async () => {
    // A follower step committed between the two reads: the state still holds the deposit below
    // the depth while its confirmed row already exists.
    await store.saveFollowerStep(serializeFollowerState(followerAt(101)), [first], []);
    expect(summary(await listDeposits(store, genesis, new LedgerState(), noCoinbase))).to.deep.equal(['first confirmed 1/2']);
  });

  it('shows as minted a deposit the federation minted before this member\'s own follower reached the depth', async () => {
    await store.saveFollowerStep(serializeFollowerState(followerAt(101)), [], []);
    const ledger = new LedgerState();
    ledger.addMinted(`${first.txid}:0`);
    expect(summary(await listDeposits(store, genesis, ledger, noCoinbase))).to.deep.equal(['first minted 1/2']);
  });
});
