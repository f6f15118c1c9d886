import { expect } from 'chai';
import pg from 'pg';
import { endPool } from '../../federation/postgres/end-pool.ts';
import { decodeMessage, decodeWalRecord, encodeWalRecord, type WalRecord } from '../../federation/consensus/index.ts';
import { sha256 } from '../../sidechain/hash.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { killMember, restartMember } from '../helpers/faults.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

/**
 * A proposer logs its proposal without the block before sending it, and the block after
 * (CONSENSUS.md, "A proposal's block is logged after it is sent"). Killed between the two, it
 * restarts on a log holding the round's proposal as signed, with no block to send: the test
 * writes that log into the member's real database and starts the real member on it.
 */
describe('a proposer restarted on a log holding its proposal without the block', function () {
  this.timeout(300_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork(5);
  });
  after(() => net?.stop());

  /** Member 2's consensus log, read and written as the member does, over its own database. */
  const withLogOf2 = async <T>(use: (store: ChainStore) => Promise<T>): Promise<T> => {
    const pool = new pg.Pool({ connectionString: net.network.postgres.connectionString('member_2'), max: 1 });
    try {
      return await use(new ChainStore(pool));
    } finally {
      await endPool(pool);
    }
  };
  const submitIssuance = (amount: bigint) => net.clients[0]!.submit(issuance(net.genesis.chainId, testWallet(), amount).tx);
  const heardFrom2 = async (at: number) => (await (await fetch(`${net.clients[at]!.baseUrl}/consensus/heard/2`)).json()) as { height: number; messages: string[] };
  const evidence = async (at: number) => ((await (await fetch(`${net.clients[at]!.baseUrl}/evidence`)).json()) as { evidence: unknown[] }).evidence;
  const blockAt = async (at: number, height: number) => (await (await fetch(`${net.clients[at]!.baseUrl}/blocks/${height}`)).json()) as { hash: string; commit: { round: number } };
  const describeMessage = (encoded: string) => {
    const message = decodeMessage(Buffer.from(encoded, 'hex'), 1 << 23);
    if (message.kind === 'proposal') return `proposal r${message.round}`;
    return `${message.type === VoteType.Prevote ? 'prevote' : 'precommit'} r${message.round} ${message.blockHash ? Buffer.from(message.blockHash).toString('hex') : 'nil'}`;
  };
  const describeRecord = (record: WalRecord) =>
    record.step === 'proposal'
      ? `proposal r${record.round} ${Buffer.from(record.hash).toString('hex')} ${record.bytes === null ? 'without' : 'with'} block`
      : `${record.step} r${record.round} ${record.hash ? Buffer.from(record.hash).toString('hex') : 'nil'}`;

  it('sends nothing at that round and proposes nothing else there, votes nil on its timeout, receives the transaction admitted while it was down, and the height is decided in a later round', async () => {
    // The proposer of (height h, round r) is member (h + r) mod 5: move the chain to a tip whose next height is member 2's.
    while (((await net.clients[0]!.status()).height + 1) % 5 !== 2) await net.clients[0]!.waitForFinal(await submitIssuance(5n), { timeoutMs: 60_000 });
    // Members 0 and 1 alone cannot decide (k = 4), so the height stays in round 0 until members 3 and 4 return.
    for (const index of [2, 3, 4]) await killMember(net, index);
    const open = (await net.clients[0]!.status()).height + 1;
    expect(open % 5).to.equal(2);

    const lost = sha256(new TextEncoder().encode('a block member 2 proposed, and lost in a crash before logging it'));
    const lostHex = Buffer.from(lost).toString('hex');
    await withLogOf2((store) => store.appendWal(open, encodeWalRecord({ step: 'proposal', height: open, round: 0, polRound: -1, hash: lost, bytes: null })));
    const txid = await submitIssuance(6n);
    await restartMember(net, 2);

    // Its round-0 prevote reaches members 0 and 1, on the same links a proposal would have taken before it.
    const heard = await eventually(
      "member 2's round-0 prevote at members 0 and 1",
      async () => {
        const answers = await Promise.all([heardFrom2(0), heardFrom2(1)]);
        const described = answers.map((answer) => (answer.height === open ? answer.messages.map(describeMessage) : []));
        return described.every((messages) => messages.some((message) => message.startsWith('prevote r0'))) && described;
      },
      60_000,
    );
    expect(heard).to.deep.equal([['prevote r0 nil'], ['prevote r0 nil']]);
    const logged = await withLogOf2(async (store) => (await store.walRecords(open)).map((bytes) => describeRecord(decodeWalRecord(bytes))));
    expect(logged).to.deep.equal([`proposal r0 ${lostHex} without block`, 'prevote r0 nil']);
    // The transaction came while member 2 was down, so the relay never sent it there: its peers send
    // it what is pending when its links come up, and members 0, 1 and 2 alone decide no block.
    await eventually('member 2 holding the transaction admitted while it was down', async () => (await net.clients[2]!.transaction(txid)).status === 'pending', 30_000);

    await restartMember(net, 3);
    await restartMember(net, 4);
    expect((await net.clients[0]!.waitForFinal(txid, { timeoutMs: 90_000 })).height).to.be.at.least(open);
    const decided = await blockAt(0, open);
    expect(decided.commit.round).to.be.at.least(1);
    expect(decided.hash).to.not.equal(lostHex);
    await eventually('member 2 holding the decided block', async () => (await net.clients[2]!.status()).height >= open, 60_000);
    expect((await blockAt(2, open)).hash).to.equal(decided.hash);
    expect(await Promise.all([0, 1, 2, 3, 4].map(evidence))).to.deep.equal([[], [], [], [], []]);
  });
});
