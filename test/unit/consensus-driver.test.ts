import { Writable } from 'node:stream';
import { expect } from 'chai';
import { VoteType } from '../../sidechain/vote.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { decodeMessage, durableStateFromWal, encodeMessage, restoreFromWal, type ConsensusMachine, type ConsensusMessage, type ProposalValue, type Vote, type WalRecord } from '../../federation/consensus/index.ts';
import { LATE_PRECOMMIT_HEIGHTS } from '../../federation/consensus/late-precommits.ts';
import { ConsensusDriver } from '../../federation/member/consensus-driver.ts';
import { FederationHealth } from '../../federation/member/federation-health.ts';
import { encodeCommit } from '../../sidechain/commit.ts';
import { signatureWork } from '../../sidechain/ed25519.ts';
import { createLogger } from '../../federation/observability/logger.ts';
import { makeValue, memberConfig } from '../helpers/consensus-sim.ts';
import { MachineFixture } from '../helpers/consensus-fixture.ts';

const { Prevote, Precommit } = VoteType;
const config = memberConfig(5, 4, 0);
const value = makeValue('block at height 1');

/**
 * Member 0 of five (k = 4) behind a real driver: its chain is a height counter that refuses a
 * decision at any height but the next, as the member's chain does, and its write-ahead log is
 * kept in memory. `catchUpTo` moves the chain on as a catch-up from peers would.
 */
class DrivenMember {
  tip = 0;
  restores = 0;
  /** Whether transactions wait for a block. */
  work = true;
  /** While set, storing a decided block fails with it, as when the database is away. */
  commitFailure: Error | undefined;
  /** While set, reading the write-ahead log fails with it, as when the database is away. */
  logFailure: Error | undefined;
  /** Blocks a catch-up stored, by height; any other height below the tip holds `block at height <h>`. */
  readonly storedByCatchUp = new Map<number, ProposalValue>();
  /** Heights consensus asked to fetch from peers. */
  readonly fetches: number[] = [];
  /** Peers' heights that told consensus this member must catch up. */
  readonly behind: number[] = [];
  /** Why peer messages were dropped, in order. */
  readonly drops: string[] = [];
  /** The signers of each certificate the member stored its decision with. */
  readonly certificateSigners = new Map<number, number[]>();
  /** The member's view of who signs, fed as the member process feeds it: certificates and late precommits. */
  readonly health = new FederationHealth(['alpha', 'beta', 'gamma', 'delta', 'epsilon'], 0);
  readonly wal = new Map<number, WalRecord[]>();
  /** Heights whose log the driver read, in order. */
  readonly logReads: number[] = [];
  /** For each decided height, the heights whose log had been read when its block was stored. */
  readonly readsAtStore = new Map<number, number[]>();
  readonly logLines: { level: string; msg: string }[] = [];
  readonly driver: ConsensusDriver;
  /** Signs peers' messages for height 1 (member 1 proposes it in round 0). */
  readonly peers = new MachineFixture(5, 4, 0, 1);
  /** What the member sent, decoded back. */
  readonly sent: ConsensusMessage[] = [];
  /** While set, writing a proposal's block to the log waits for it, as on a loaded database. */
  private blockWritesHeld: Promise<void> | undefined;
  /** While set, storing a decided block waits for it, as on a loaded database. */
  private commitsHeld: Promise<void> | undefined;

  constructor() {
    const log = createLogger({
      name: 'driver-test',
      level: 'debug',
      destination: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          this.logLines.push(JSON.parse(chunk.toString()) as { level: string; msg: string });
          done();
        },
      }),
    });
    this.driver = new ConsensusDriver(
      this.machineAt(1),
      {
        buildProposal: () => Promise.resolve(makeValue(`block at height ${this.tip + 1}`)),
        validate: () => Promise.resolve(true),
        commit: async (height, decided, certificate) => {
          await this.commitsHeld;
          if (this.commitFailure) return Promise.reject(this.commitFailure);
          if (height !== this.tip + 1) return Promise.reject(new ValidationError('wrong-height', `cannot store block ${height} on tip ${this.tip}`));
          this.readsAtStore.set(height, [...this.logReads]);
          this.tip = height;
          this.certificateSigners.set(height, certificate.signatures.map((signature) => signature.memberIndex));
          this.health.blocksFinal([{ height, hash: decided.hash, header: new Uint8Array(0), commit: encodeCommit(certificate), txCount: 0, timeMs: BigInt(height) }]);
          return Promise.resolve();
        },
        hasPendingWork: () => this.work,
        nextHeight: () => this.tip + 1,
        finalHash: (height) => (height > this.tip ? undefined : (this.storedByCatchUp.get(height) ?? makeValue(`block at height ${height}`)).hash),
      },
      {
        appendWal: async (height, record) => {
          if (record.step === 'proposal' && record.bytes !== null) await this.blockWritesHeld;
          this.wal.set(height, [...(this.wal.get(height) ?? []), record]);
        },
        recordEvidence: () => Promise.resolve(),
      },
      { broadcast: (payload) => this.sent.push(decodeMessage(payload, 1 << 16)) },
      {
        regossipMs: 60_000,
        maxValueBytes: 1 << 16,
        onBehind: (height) => this.behind.push(height),
        fetchDecided: (height) => this.fetches.push(height),
        onDrop: (reason) => this.drops.push(reason),
        signedLate: (height, memberIndex) => this.health.signed(memberIndex, height, BigInt(height)),
        restore: () => {
          this.restores += 1;
          return Promise.resolve(this.machineAt(this.tip + 1));
        },
        logged: (height) => {
          if (this.logFailure) return Promise.reject(this.logFailure);
          this.logReads.push(height);
          return Promise.resolve(durableStateFromWal(height, this.wal.get(height) ?? []));
        },
        // Far beyond the test's timeout: nothing here may wait for the retry after a failure.
        restoreRetryMs: 600_000,
      },
      log,
    );
  }

  machineAt(height: number): ConsensusMachine {
    return restoreFromWal(config, height, this.wal.get(height) ?? []);
  }

  /** Each message from the member that signed it, as a member sends its own. */
  deliver(...messages: Parameters<MachineFixture['receive']>): void {
    for (const message of messages) this.driver.onPeerMessage(encodeMessage(message), message.memberIndex);
  }

  /** Peers 1-3 propose (when it is theirs to), prevote and precommit height `height`'s block, which member 0 then decides with them. */
  decideWithoutMember4(height: number): Vote {
    const peers = new MachineFixture(5, 4, 0, height);
    const block = makeValue(`block at height ${height}`);
    this.deliver(peers.proposal(height % 5, 0, block), ...peers.votes([1, 2, 3], Prevote, 0, block), ...peers.votes([1, 2, 3], Precommit, 0, block));
    return peers.vote(4, Precommit, 0, block);
  }

  lastSigned(member: number): number | undefined {
    return this.health.snapshot([]).find((view) => view.index === member)?.lastSigned?.height;
  }

  /** Holds every write of a proposal's block until the function returned is called. */
  holdBlockWrites(): () => void {
    let release!: () => void;
    this.blockWritesHeld = new Promise((resolve) => (release = resolve));
    return release;
  }

  /** Holds every store of a decided block until the function returned is called. */
  holdCommits(): () => void {
    let release!: () => void;
    this.commitsHeld = new Promise((resolve) => (release = resolve));
    return release;
  }

  catchUpTo(height: number): Promise<void> {
    this.tip = height;
    return this.driver.advance();
  }

  errors(): string[] {
    return this.logLines.filter((line) => line.level === 'error').map((line) => line.msg);
  }
}

/** Lets the driver's queue and the validations it started run to the end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('consensus driver and catch-up', () => {
  let member: DrivenMember;
  beforeEach(() => {
    member = new DrivenMember();
    member.driver.start();
  });
  afterEach(() => member.driver.stop());

  it('a machine already at the chain’s next height keeps its state, and its signatures, through advance()', async () => {
    member.deliver(member.peers.proposal(1, 0, value));
    await settle();
    expect(member.driver.state).to.include({ height: 1, round: 0, step: 'prevote' });
    expect(member.wal.get(1)).to.have.length(1);

    await member.driver.advance();
    expect(member.driver.state).to.include({ height: 1, round: 0, step: 'prevote' });
    expect(member.restores).to.equal(0);
  });

  it('says when it started deciding its height, and again at the next; nothing once decided and idle', async () => {
    await settle();
    const first = member.driver.startedMs;
    expect(first).to.be.a('number');
    await new Promise((resolve) => setTimeout(resolve, 5));
    member.decideWithoutMember4(1);
    await settle();
    expect(member.driver.state).to.include({ height: 2, started: true });
    expect(member.driver.startedMs).to.be.above(first!);
    member.work = false;
    member.decideWithoutMember4(2);
    await settle();
    expect(member.tip).to.equal(2);
    expect(member.driver.startedMs).to.equal(null);
  });

  it('a running machine left behind by catch-up enters the chain’s next height with the messages it held for it', async () => {
    // Member 0 never got the proposal of height 1, but k members precommitted it: height 1 is
    // decided, and the member asks for the block instead of waiting for a proposal nobody resends.
    member.deliver(...member.peers.votes([1, 2, 3, 4], Precommit, 0, value));
    const height2 = new MachineFixture(5, 4, 0, 2);
    const next = makeValue('block at height 2');
    member.deliver(height2.proposal(2, 0, next));
    await settle();
    expect(member.fetches).to.deep.equal([1]);
    expect(member.driver.state).to.include({ height: 1, step: 'propose' });

    await member.catchUpTo(1);
    await settle();
    // It validated and prevoted the proposal of height 2 it held, with no restore and no wait.
    expect(member.driver.state).to.include({ height: 2, round: 0, step: 'prevote' });
    expect(member.wal.get(2)?.map((record) => record.step)).to.deep.equal(['prevote']);
    expect(member.restores).to.equal(0);
    expect(member.errors()).to.deep.equal([]);
  });

  // A database restored from a backup, whose member was taken back its votes at a height it had not
  // reached: however the machine gets there, it holds that slot as signed and signs nothing else in it.
  const reachHeight2 = {
    'through a catch-up': () => member.catchUpTo(1),
    'through its own decision': async () => {
      member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value), ...member.peers.votes([1, 2, 3], Precommit, 0, value));
      await settle();
    },
  };
  for (const [way, reach] of Object.entries(reachHeight2)) {
    it(`a machine entering a height ${way} resumes from what its log holds there, and signs no slot the log holds again`, async () => {
      const logged = makeValue('block the member prevoted before its database was restored');
      member.wal.set(2, [{ step: 'prevote', height: 2, round: 0, hash: logged.hash }]);
      await reach();
      await settle();
      expect(member.driver.state).to.include({ height: 2, round: 0 });
      // Member 2 proposes height 2 in round 0; the slot of member 0's prevote there is taken.
      member.deliver(new MachineFixture(5, 4, 0, 2).proposal(2, 0, makeValue('another block at height 2')));
      await settle();
      // Its prevote timeout may have passed meanwhile on a loaded machine: a nil precommit may follow, never another prevote.
      const prevotesAt2 = member.sent.filter((message) => message.height === 2 && message.kind === 'vote' && message.type === Prevote && message.memberIndex === 0) as Vote[];
      expect(prevotesAt2.map((vote) => `r${vote.round} ${vote.blockHash && sameBytes(vote.blockHash, logged.hash) ? 'logged' : 'other'}`)).to.deep.equal(['r0 logged']);
      expect(member.wal.get(2)?.filter((record) => record.step === 'prevote')).to.have.length(1);
      expect(member.restores).to.equal(0);
      expect(member.errors()).to.deep.equal([]);
    });
  }

  it('a member reads the next height’s log while it stores the block it decided, and enters that height with what the log holds', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value), ...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    expect(member.readsAtStore.get(1)).to.include(2);
    expect(member.logReads.filter((height) => height === 2)).to.have.length(1);
    expect(member.driver.state).to.include({ height: 2, round: 0 });
    expect(member.errors()).to.deep.equal([]);
  });

  it('a machine idle since its start is rebuilt at the chain’s next height from the write-ahead log', async () => {
    await member.driver.stop();
    member = new DrivenMember();
    member.work = false;
    member.driver.start();
    await member.catchUpTo(3);
    expect(member.driver.state).to.include({ height: 4, round: 0, started: false });
    expect(member.restores).to.equal(1);
    // The first message of the height wakes it.
    member.deliver(new MachineFixture(5, 4, 0, 4).proposal(4, 0, makeValue('block at height 4')));
    await settle();
    expect(member.driver.state).to.include({ height: 4, step: 'prevote', started: true });
    expect(member.errors()).to.deep.equal([]);
  });

  it('a machine idle since its start, woken while a catch-up rebuilds it at a later height, is started once and takes part at once', async () => {
    await member.driver.stop();
    member = new DrivenMember();
    member.work = false;
    member.driver.start();
    // Catch-up moves the chain to 3 and transactions arrive: the rebuild is queued first, the wake for height 1 behind it.
    member.tip = 3;
    member.work = true;
    const advancing = member.driver.advance();
    member.driver.notifyWork();
    await advancing;
    await settle();
    expect(member.driver.state).to.include({ height: 4, started: true });
    expect(member.restores).to.equal(1);
    expect(member.logLines.map((line) => line.msg)).to.not.include('consensus event failed');
    member.deliver(new MachineFixture(5, 4, 0, 4).proposal(4, 0, makeValue('block at height 4')));
    await settle();
    expect(member.driver.state).to.include({ height: 4, step: 'prevote' });
  });

  it('a proposer sends its proposal and votes on while its block is still being written to the log, and a stop waits for that write', async () => {
    const logged = (height: number) => member.wal.get(height)?.map((record) => (record.step === 'proposal' ? `proposal ${record.bytes === null ? 'without' : 'with'} block` : record.step));
    const release = member.holdBlockWrites();
    // Height 5 is member 0's to propose in round 0.
    await member.catchUpTo(4);
    await settle();
    expect(member.sent.filter((message) => message.height === 5).map((message) => `${message.kind} r${message.round}`)).to.deep.equal(['proposal r0', 'vote r0']);
    expect(logged(5)).to.deep.equal(['proposal without block', 'prevote']);

    let stopped = false;
    const stopping = member.driver.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).to.equal(false);
    release();
    await stopping;
    expect(logged(5)).to.deep.equal(['proposal without block', 'prevote', 'proposal with block']);
    expect(member.errors()).to.deep.equal([]);
  });

  it('a member still storing a block keeps the proposal and votes of the heights its peers moved on to, and decides them itself', async () => {
    const release = member.holdCommits();
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value), ...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    expect(member.driver.state).to.include({ height: 1, step: 'commit' });
    // Members 1-3 decide heights 2 and 3 without it (members 2 and 3 propose them in round 0).
    for (const height of [2, 3]) {
      const peers = new MachineFixture(5, 4, 0, height);
      const block = makeValue(`block at height ${height}`);
      member.deliver(peers.proposal(height, 0, block), ...peers.votes([1, 2, 3], Prevote, 0, block), ...peers.votes([1, 2, 3], Precommit, 0, block));
    }
    release();
    await settle();
    expect(member.tip).to.equal(3);
    expect(member.driver.state).to.include({ height: 4, round: 0 });
    expect(member.behind).to.deep.equal([]);
    expect(member.fetches).to.deep.equal([]);
    expect(member.errors()).to.deep.equal([]);
  });

  it('a message of a height beyond the next, still ahead when its turn comes, tells the member to catch up and changes nothing', async () => {
    member.deliver(new MachineFixture(5, 4, 0, 4).proposal(4, 0, makeValue('block at height 4')));
    await settle();
    expect(member.behind).to.deep.equal([4]);
    expect(member.driver.state).to.include({ height: 1, round: 0, step: 'propose' });
    expect(member.wal.get(1)).to.equal(undefined);
  });

  it('a decision catch-up stored first takes the member to the next height at once, with the messages it held for it', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value));
    await settle();
    expect(member.driver.state).to.include({ height: 1, step: 'precommit' });

    // Catch-up stores height 1 while the last precommits are on their way, and runs on through the
    // peers' blocks before it calls advance(): consensus decides height 1 too, and storing it fails
    // on the chain's tip. The proposal of height 2 has arrived meanwhile.
    member.tip = 1;
    member.deliver(new MachineFixture(5, 4, 0, 2).proposal(2, 0, makeValue('block at height 2')));
    member.deliver(...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    // It prevoted that proposal with no advance(), no restore from the log and no retry delay.
    expect(member.driver.state).to.include({ height: 2, round: 0, step: 'prevote' });
    expect(member.wal.get(2)?.map((record) => record.step)).to.deep.equal(['prevote']);
    expect(member.restores).to.equal(0);
    expect(member.logLines.map((line) => line.msg)).to.include('decided height already stored by catch-up').and.not.include('consensus overtaken by catch-up');
    expect(member.errors()).to.deep.equal([]);

    // The catch-up's advance() then finds the machine at the chain's next height and leaves it there.
    await member.driver.advance();
    expect(member.driver.state).to.include({ height: 2, round: 0, step: 'prevote' });
    expect(member.restores).to.equal(0);
  });

  it('a decision catch-up stored first, with more blocks after it, takes the member to the chain’s next height', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value));
    await settle();
    member.tip = 3;
    member.deliver(...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    expect(member.driver.state).to.include({ height: 4, round: 0, step: 'propose', started: true });
    expect(member.restores).to.equal(0);
    expect(member.errors()).to.deep.equal([]);
  });

  it('a decision at a height where catch-up stored another block is reported as two quorums signing different blocks', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value));
    await settle();
    member.tip = 1;
    member.storedByCatchUp.set(1, makeValue('another block at height 1'));
    member.deliver(...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    const failure = member.logLines.find((line) => line.level === 'error') as { msg: string; err?: { message: string } } | undefined;
    expect(failure?.msg).to.equal('two quorums decided different blocks');
    expect(failure?.err?.message).to.match(/^height 1: consensus decided block [0-9a-f]{64}, but the chain holds block [0-9a-f]{64} there, stored from peers/);
    expect(member.logLines.map((line) => line.msg)).to.not.include('decided height already stored by catch-up');
  });

  it('a decision that fails to be stored, with the chain still below it, sets the machine aside to be rebuilt from the log', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value));
    await settle();
    member.commitFailure = new Error('connection terminated');
    member.deliver(...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    expect(member.driver.state).to.include({ height: 1, step: 'commit' });
    expect(member.logLines.map((line) => line.msg)).to.include('consensus event failed');
    expect(member.restores).to.equal(0);
  });

  it('a database out of reach after a decision is logged as an outage, once and without a stack, not as a catch-up', async () => {
    member.deliver(member.peers.proposal(1, 0, value), ...member.peers.votes([1, 2, 3], Prevote, 0, value));
    await settle();
    // The block is stored; the log of height 2, read to enter it, is out of reach.
    member.logFailure = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    member.deliver(...member.peers.votes([1, 2, 3], Precommit, 0, value));
    await settle();
    expect(member.tip).to.equal(1);
    const lines = member.logLines as { level: string; msg: string; reason?: string; code?: string; err?: unknown }[];
    expect(lines.map((line) => line.msg)).to.not.include('consensus overtaken by catch-up');
    const failure = lines.find((line) => line.msg === 'consensus event failed');
    expect(failure).to.include({ level: 'warn', reason: "the member's database is out of reach: connect ECONNREFUSED 127.0.0.1:5432", code: 'ECONNREFUSED' });
    expect(failure).to.not.have.property('err');
  });
});

describe('consensus driver: precommits that arrive after the decision', () => {
  let member: DrivenMember;
  beforeEach(() => {
    member = new DrivenMember();
    member.driver.start();
  });
  afterEach(() => member.driver.stop());

  /** Signature cache lookups and verifications made while `work` runs: each check of a signature makes one lookup. */
  async function signatureChecks(work: () => Promise<void>): Promise<{ lookups: number; verified: number }> {
    const before = signatureWork();
    await work();
    const after = signatureWork();
    return { lookups: after.cacheHits + after.cacheMisses - before.cacheHits - before.cacheMisses, verified: after.verified - before.verified };
  }

  it('a member whose precommits always arrive after the other four’s signs every height, though no certificate holds it', async () => {
    for (const height of [1, 2, 3]) {
      const late = member.decideWithoutMember4(height);
      await settle();
      expect(member.tip).to.equal(height);
      member.deliver(late);
      await settle();
      expect(member.lastSigned(4), `after height ${height}`).to.equal(height);
    }
    expect([...member.certificateSigners.values()]).to.deep.equal([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3]]);
    expect(member.drops).to.deep.equal([]);
    // Nothing of it reached consensus: the machine is at height 4, and the log holds only member 0's own votes.
    expect(member.driver.state).to.include({ height: 4, round: 0 });
    expect([1, 2, 3].map((height) => member.wal.get(height)?.map((record) => record.step))).to.deep.equal([
      ['prevote', 'precommit'],
      ['prevote', 'precommit'],
      ['prevote', 'precommit'],
    ]);
    expect(member.errors()).to.deep.equal([]);
  });

  it('a late precommit counts while the member idles in the height it decided, and wakes nothing', async () => {
    member.work = false;
    const late = member.decideWithoutMember4(1);
    await settle();
    expect(member.driver.state).to.include({ height: 1, step: 'commit' });
    member.deliver(late);
    await settle();
    expect(member.lastSigned(4)).to.equal(1);
    expect(member.driver.state).to.include({ height: 1, step: 'commit' });
    expect(member.drops).to.deep.equal([]);
  });

  it('a late precommit for another block, for nil, relayed by another peer, or forged counts for nothing, and a peer gets one check a height', async () => {
    const late = member.decideWithoutMember4(1);
    await settle();
    const other = new MachineFixture(5, 4, 0, 1);
    const wrong = [other.vote(4, Precommit, 0, makeValue('another block at height 1')), other.vote(4, Precommit, 0, null)];
    const unchecked = await signatureChecks(async () => {
      member.deliver(...wrong);
      member.driver.onPeerMessage(encodeMessage(late), 2);
      await settle();
    });
    expect(unchecked).to.deep.equal({ lookups: 0, verified: 0 });
    expect(member.drops).to.deep.equal(['stale-height', 'stale-height', 'stale-height']);
    expect(member.lastSigned(4)).to.equal(undefined);

    // Height 2: a forged precommit from member 4 is its one check there; height 3: its own counts once.
    const second = member.decideWithoutMember4(2);
    await settle();
    const forged = { ...second, signature: Uint8Array.from(second.signature, (byte, index) => (index === 0 ? byte ^ 1 : byte)) };
    const checked = await signatureChecks(async () => {
      member.deliver(forged, second);
      await settle();
    });
    expect(checked).to.deep.equal({ lookups: 1, verified: 1 });
    expect(member.drops.slice(3)).to.deep.equal(['bad-signature', 'stale-height']);
    expect(member.lastSigned(4)).to.equal(undefined);

    const third = member.decideWithoutMember4(3);
    await settle();
    const once = await signatureChecks(async () => {
      member.deliver(third, third);
      await settle();
    });
    expect(once.lookups).to.equal(1);
    expect(member.drops.slice(5)).to.deep.equal(['stale-height']);
    expect(member.lastSigned(4)).to.equal(3);
    expect([...member.certificateSigners.values()].flat()).to.not.include(4);
  });

  it(`a late precommit more than ${LATE_PRECOMMIT_HEIGHTS} heights below the tip is dropped unchecked`, async () => {
    await member.catchUpTo(20);
    const precommitAt = (height: number) => new MachineFixture(5, 4, 0, height).vote(4, Precommit, 0, makeValue(`block at height ${height}`));
    const old = await signatureChecks(async () => {
      member.deliver(precommitAt(20 - LATE_PRECOMMIT_HEIGHTS));
      await settle();
    });
    expect(old).to.deep.equal({ lookups: 0, verified: 0 });
    expect(member.drops).to.deep.equal(['stale-height']);
    expect(member.lastSigned(4)).to.equal(undefined);

    member.deliver(precommitAt(21 - LATE_PRECOMMIT_HEIGHTS));
    await settle();
    expect(member.drops).to.deep.equal(['stale-height']);
    expect(member.lastSigned(4)).to.equal(21 - LATE_PRECOMMIT_HEIGHTS);
  });
});
