import type { Logger } from 'pino';
import { IntervalLog } from '../observability/interval-log.ts';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { VoteType } from '../../sidechain/vote.ts';
import {
  ConsensusMachine,
  decodeMessage,
  encodeMessage,
  LatePrecommits,
  type CommitCertificate,
  type ConsensusEvent,
  type ConsensusMessage,
  type DurableState,
  type Effect,
  type Evidence,
  type ProposalRecord,
  type ProposalValue,
  type Vote,
  type WalRecord,
} from '../consensus/index.ts';

/** What consensus needs from the chain: build, check and apply blocks. */
export interface ChainApplication {
  buildProposal(height: number, round: number): Promise<ProposalValue>;
  /** Executes the block against the ledger; true only if every rule holds. */
  validate(height: number, value: ProposalValue): Promise<boolean>;
  /** Makes the decided block durable and applies it; resolves once it is stored. */
  commit(height: number, value: ProposalValue, certificate: CommitCertificate): Promise<void>;
  /** True when there is something to put in a block (pending transactions or mints). */
  hasPendingWork(): boolean;
  /** The height after the chain's tip: the one consensus decides, unless catch-up moved the chain on. */
  nextHeight(): number;
  /** The hash of the block final at `height`; undefined above the chain's tip. */
  finalHash(height: number): Uint8Array | undefined;
}

/**
 * Consensus decided one block at a height where the chain already holds another, stored by a
 * catch-up with its own commit certificate: two quorums of the federation signed different
 * blocks, which takes more members signing twice than the federation tolerates.
 */
export class ConflictingDecisionError extends Error {
  constructor(height: number, decided: Uint8Array, stored: Uint8Array) {
    super(
      `height ${height}: consensus decided block ${Buffer.from(decided).toString('hex')}, but the chain holds block ${Buffer.from(stored).toString('hex')} there, stored from peers with its own commit certificate: ` +
        'two quorums signed different blocks, so more members signed twice than the federation tolerates; the chain keeps the stored block, and both certificates name the members who signed',
    );
    this.name = 'ConflictingDecisionError';
  }
}

export interface ConsensusStorage {
  /** Must be durable when it resolves: it is the write-ahead log of signatures. */
  appendWal(height: number, record: WalRecord): Promise<void>;
  recordEvidence(evidence: Evidence): Promise<void>;
}

export interface MessageSender {
  broadcast(payload: Uint8Array): void;
}

export interface DriverOptions {
  /** Re-send own votes and the valid value's quorum this often while a height is open. */
  regossipMs: number;
  /** Largest block (proposal value) accepted from a peer. */
  maxValueBytes: number;
  /** Called when a peer shows a height beyond the next one: this member must catch up. */
  onBehind(peerHeight: number): void;
  /** Called when a quorum decided `height` on a block this member never received: fetch it from peers. */
  fetchDecided(height: number): void;
  onDrop(reason: string): void;
  /**
   * Peer `memberIndex` signed the block final at `height`: its valid precommit for that block came
   * after the decision, so the block's certificate lacks it. For the federation's health view only.
   */
  signedLate(height: number, memberIndex: number): void;
  /** The machine of the height after the chain's tip, rebuilt from the write-ahead log as at a restart. */
  restore(): Promise<ConsensusMachine>;
  /** What the write-ahead log holds at a height (`durableStateFromWal`), read whenever the machine enters one. */
  logged(height: number): Promise<DurableState | null>;
  /** Wait before reading the log again when it cannot be read. */
  restoreRetryMs: number;
}

/**
 * Runs the consensus state machine: feeds it one event at a time from a single queue and
 * executes its effects in order. The only rule that matters for safety lives here: a `persist`
 * effect is awaited before the effects after it, so no signature leaves this process before the
 * write-ahead log holds it.
 *
 * Between heights the driver idles: the next height starts only when there is work (a
 * transaction or a mint) or a peer has started it, so an idle chain makes no empty blocks.
 */
export class ConsensusDriver {
  private queue: Promise<void> = Promise.resolve();
  private timers = new Set<NodeJS.Timeout>();
  private regossipTimer: NodeJS.Timeout | undefined;
  private idleAtHeight: number | null = null;
  private stopped = false;
  /** Set from a failed event until the machine is rebuilt from the log: no event runs meanwhile. */
  private failed = false;
  /** A database that is down fails every retry the same way: once a minute in the log is enough. */
  private readonly failures: IntervalLog;
  /** Proposals' blocks being logged after they were sent; a stop waits for them. */
  private readonly blockWrites = new Set<Promise<void>>();
  private readonly latePrecommits: LatePrecommits;
  /** The height the machine was last seen to start, and when (startedMs). */
  private started: { height: number; ms: number } | null = null;

  constructor(
    private machine: ConsensusMachine,
    private readonly app: ChainApplication,
    private readonly storage: ConsensusStorage,
    private readonly sender: MessageSender,
    private readonly options: DriverOptions,
    private readonly log: Logger,
  ) {
    this.failures = new IntervalLog(log, 'consensus event failed', 60_000);
    this.latePrecommits = new LatePrecommits(machine.config);
  }

  get height(): number {
    return this.machine.state.height;
  }

  get state() {
    return this.machine.state;
  }

  /**
   * When the machine started deciding the height it is at, on this member's clock; null once it
   * has decided there (idle, or entering the next), while it waits for work, or when it was rebuilt
   * started and has handled nothing since. Whoever asks why no block comes reads its peers'
   * silence from then: an idle chain sends nothing.
   */
  get startedMs(): number | null {
    const { height, started, step } = this.machine.state;
    return started && step !== 'commit' && this.started?.height === height ? this.started.ms : null;
  }

  /** Starts the current height now if there is work, otherwise waits for work or a peer. */
  start(): void {
    this.regossipTimer = setInterval(() => {
      if (this.idleAtHeight === null) this.enqueue({ kind: 'regossip' });
    }, this.options.regossipMs);
    if (this.app.hasPendingWork()) this.enqueue({ kind: 'start' });
    else this.idleAtHeight = this.machine.state.height;
  }

  /**
   * Something may be waiting (a transaction, a deposit confirmed, a settlement due): wake an idle
   * height if there is work. News that leaves nothing to do (a deposit this member sees confirmed
   * after the block minting it is final) must not start a height: it would make an empty block,
   * and the next mint or transaction would wait for it.
   */
  notifyWork(): void {
    if (this.app.hasPendingWork()) this.wake();
  }

  heardFrom(memberIndex: number): { height: number; messages: ConsensusMessage[] } {
    return this.machine.heardFrom(memberIndex);
  }

  /** A consensus message from peer `from`, the member its authenticated link belongs to. */
  onPeerMessage(payload: Uint8Array, from: number): void {
    let message: ConsensusMessage;
    try {
      message = decodeMessage(payload, this.options.maxValueBytes);
    } catch {
      this.options.onDrop('malformed');
      return;
    }
    // A height beyond the next is judged when the queue reaches the message, not now: a member
    // whose queue is still logging a vote or storing a block reaches the heights its peers moved
    // on to by itself once that is done, and a message dropped here would leave it at a height
    // whose proposal and votes it threw away, waiting for a catch-up and then for a regossip (its
    // round-0 proposal a second late, when it proposes). The machine drops what is still ahead then.
    const ahead = message.height > this.machine.state.height + 1;
    // A late vote for the height just committed is no news of the next one: waking on it would
    // start that height with nothing to do, make an empty block, and leave a proposer that did
    // not hear of it to join only when the others' round times out.
    if (!ahead && this.idleAtHeight !== null && message.height >= this.idleAtHeight) this.wake();
    if (message.kind === 'proposal') this.log.debug({ height: message.height, round: message.round, from: message.memberIndex }, 'proposal received');
    if (!this.stopped) void this.runExclusive(() => this.receive(message, from));
  }

  /**
   * Brings consensus to the chain's next height after the chain advanced outside it (catch-up
   * from peers). A machine already there keeps its state, since it may hold signatures of that
   * height. A running machine left behind enters that height with what the log holds there, and
   * keeps the messages of that height it holds (the proposal a catch-up of one block would
   * otherwise wait a regossip for). Any other machine (idle since the start, or set aside by an
   * event the catch-up overtook) is rebuilt from the write-ahead log at once, as at a restart.
   */
  async advance(): Promise<void> {
    await this.runExclusive(async () => {
      const next = this.app.nextHeight();
      const { height, started } = this.machine.state;
      if (!this.failed && height >= next) return;
      if (this.failed || !started || !this.app.hasPendingWork()) return this.rebuild();
      this.clearTimers();
      this.idleAtHeight = null;
      await this.enter(next);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.regossipTimer);
    this.clearTimers();
    await this.queue;
    await Promise.all(this.blockWrites);
    this.failures.flush();
  }

  private wake(): void {
    if (this.idleAtHeight === null || this.stopped) return;
    const height = this.idleAtHeight;
    this.idleAtHeight = null;
    // Decided when it runs, not now: an advance() queued before it may rebuild the machine, which
    // then stands at a later height or has started this one, and a second start would fail.
    void this.runExclusive(async () => {
      const { state } = this.machine;
      if (state.height > height || (state.height === height && state.started && state.step !== 'commit')) return;
      // The machine was created at this height (first start) or has just committed the one before.
      if (state.height === height && state.step !== 'commit') await this.process({ kind: 'start' });
      else await this.enter(height);
    });
  }

  private enqueue(event: ConsensusEvent): void {
    if (this.stopped) return;
    void this.runExclusive(() => this.process(event));
  }

  /**
   * An effect that failed (a write-ahead-log append while the database was down) leaves the
   * machine ahead of the log: it holds a signature the log does not, which regossip would send,
   * and waits for a timeout or a broadcast that was never made. So it is set aside, no event runs,
   * and it is rebuilt from the log as a restart would, retried until the log can be read.
   */
  private runExclusive(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work).catch((error: unknown) => {
      // Building or validating at a height catch-up has already stored fails as well; that is no
      // fault, and the catch-up's advance() rebuilds the machine after it. A database out of reach
      // is an outage however far the chain is (entering the next height reads its log, and each
      // retry reads it again): logged once, then counted.
      const height = this.machine.state.height;
      if (error instanceof ConflictingDecisionError) this.log.error({ height, err: error }, 'two quorums decided different blocks');
      else if (height < this.app.nextHeight() && !isDatabaseUnavailable(error)) this.log.info({ height, err: error }, 'consensus overtaken by catch-up');
      else this.failures.failed(error);
      this.failed = true;
      this.clearTimers();
      if (!this.stopped) setTimeout(() => void this.runExclusive(() => this.resume()), this.options.restoreRetryMs).unref();
    });
    this.queue = run;
    return run;
  }

  private async resume(): Promise<void> {
    // Several failures schedule several attempts; the first that succeeds is the one needed.
    if (this.stopped || !this.failed) return;
    await this.rebuild();
    this.log.info({ height: this.machine.state.height }, 'consensus resumed from its write-ahead log');
  }

  /** The machine of the chain's next height, from the write-ahead log; its timers are the old machine's. */
  private async rebuild(): Promise<void> {
    this.clearTimers();
    this.machine = await this.options.restore();
    this.failed = false;
    if (this.app.hasPendingWork()) {
      this.idleAtHeight = null;
      await this.process({ kind: 'start' });
    } else {
      this.idleAtHeight = this.machine.state.height;
    }
  }

  /**
   * Every height the machine enters, after its own decision or a catch-up, is entered with what
   * the log holds there, as a restart there would be. Only the machine at a height, and a start
   * taking back its votes at the chain's next height (where the machine is then built from the
   * log), write the log; so it holds nothing at a height this process has not reached, and
   * reading it keeps the member from signing a slot twice should anything ever write there first.
   * One indexed read a height; `read` is that read when it was started earlier (see `commit`).
   */
  private async enter(height: number, read: Promise<DurableState | null> = this.options.logged(height)): Promise<void> {
    const logged = await read;
    this.log.debug({ height }, 'height entered');
    await this.process({ kind: 'newHeight', height, logged });
  }

  /**
   * A precommit for a height the machine has decided, or left behind final, goes to the late
   * precommits' check and never to the machine: there it would be dropped as stale, or ignored in
   * the commit step, so the machine, its log and the block are what they would be without it.
   */
  private async receive(message: ConsensusMessage, from: number): Promise<void> {
    if (this.stopped || this.failed) return;
    if (isPrecommit(message)) {
      const finalHash = this.decidedHash(message.height);
      if (finalHash !== undefined) {
        const dropped = this.latePrecommits.check(message, from, finalHash, this.app.nextHeight() - 1);
        if (dropped) this.options.onDrop(dropped);
        else this.options.signedLate(message.height, message.memberIndex);
        return;
      }
    }
    await this.process({ kind: 'message', message });
  }

  /** The block final at `height`, if the machine is past it or has decided it (its commit step). */
  private decidedHash(height: number): Uint8Array | undefined {
    const state = this.machine.state;
    return height < state.height || (height === state.height && state.step === 'commit') ? this.app.finalHash(height) : undefined;
  }

  private async process(event: ConsensusEvent): Promise<void> {
    if (this.stopped || this.failed) return;
    const result = this.machine.handle(event);
    const { height, started } = this.machine.state;
    if (started && this.started?.height !== height) this.started = { height, ms: Date.now() };
    if (result.dropped) this.options.onDrop(result.dropped);
    if (result.dropped === 'future-height' && event.kind === 'message') this.options.onBehind(event.message.height);
    for (const effect of result.effects) await this.execute(effect);
  }

  private async execute(effect: Effect): Promise<void> {
    switch (effect.kind) {
      case 'persist': {
        const started = performance.now();
        const height = this.machine.state.height;
        await this.storage.appendWal(height, effect.record);
        this.log.debug({ height, round: effect.record.round, step: effect.record.step, walMs: elapsedMs(started) }, 'signed');
        return;
      }
      case 'persistBlock':
        this.logBlockAfterSending(effect.record);
        return;
      case 'broadcast':
        // The machine has already counted its own message; peers get it from the transport.
        this.sender.broadcast(encodeMessage(effect.message));
        return;
      case 'buildProposal': {
        const started = performance.now();
        const value = await this.app.buildProposal(effect.height, effect.round);
        this.log.debug({ height: effect.height, round: effect.round, bytes: value.bytes.length, buildMs: elapsedMs(started) }, 'proposal built');
        this.enqueue({ kind: 'proposalBuilt', height: effect.height, round: effect.round, value });
        return;
      }
      case 'validate': {
        const { height, value } = effect;
        const started = performance.now();
        void this.app.validate(height, value).then(
          (ok) => {
            this.log.debug({ height, ok, validateMs: elapsedMs(started) }, 'proposal validated');
            this.enqueue({ kind: 'validated', height, hash: value.hash, ok });
          },
          (error: unknown) => {
            this.log.error({ err: error, height }, 'validating a proposal failed');
            this.enqueue({ kind: 'validated', height, hash: value.hash, ok: false });
          },
        );
        return;
      }
      case 'scheduleTimeout': {
        const { height, round, step } = effect;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.enqueue({ kind: 'timeout', height, round, step });
        }, effect.ms);
        this.timers.add(timer);
        return;
      }
      case 'commit': {
        this.log.debug({ height: effect.height, round: effect.certificate.round }, 'decided');
        // The next height's log is read while the block is stored, not after it: the member enters
        // that height a database round trip sooner (under load one took 55 ms at the median, as
        // long as a commit). Nothing writes the log above the machine's height (see enter), and the
        // machine is in its commit step, signing nothing, so the read finds what it would after.
        const following = effect.height + 1;
        const read = this.options.logged(following);
        // Awaited below when it is used; a store that fails first must not leave it unhandled.
        read.catch(() => undefined);
        await this.storeDecision(effect);
        this.clearTimers();
        // Entered here, not queued: messages of the next height already queued are then applied,
        // not buffered, and an advance() queued meanwhile finds the machine there already.
        const next = this.app.nextHeight();
        if (this.app.hasPendingWork()) await this.enter(next, next === following ? read : undefined);
        else this.idleAtHeight = next;
        return;
      }
      case 'evidence':
        this.log.warn({ evidence: { kind: effect.evidence.kind } }, 'equivocation evidence recorded');
        await this.storage.recordEvidence(effect.evidence);
        return;
      case 'fetchDecided':
        this.options.fetchDecided(effect.height);
        return;
    }
  }

  /**
   * A catch-up may store the decided height first: consensus and catch-up both append, and a
   * catch-up runs on through every block its peers hold before it calls advance(). The height
   * is final here either way, so the member enters the chain's next height at once, as advance()
   * would: it never reached a height above the one it decided, so it signed nothing there, and
   * it keeps the messages it holds for the next one. Setting the machine aside instead cost the
   * retry delay and those messages (docs/CONSENSUS.md, "Entering the next height").
   */
  private async storeDecision(decision: Extract<Effect, { kind: 'commit' }>): Promise<void> {
    try {
      await this.app.commit(decision.height, decision.value, decision.certificate);
    } catch (error) {
      const stored = this.app.finalHash(decision.height);
      if (stored === undefined) throw error;
      if (!sameBytes(stored, decision.value.hash)) throw new ConflictingDecisionError(decision.height, decision.value.hash, stored);
      this.log.info({ height: decision.height, err: error }, 'decided height already stored by catch-up');
    }
  }

  /**
   * Off the queue: the proposal is out, its slot durable, and nothing waits for its block. A write
   * that fails costs only the re-sending of that proposal after a restart, so it is logged, not
   * treated as a failed event: the machine is no further ahead of its log than the log says.
   */
  private logBlockAfterSending(record: ProposalRecord): void {
    const { height, round } = record;
    const write = this.storage
      .appendWal(height, record)
      .catch((error: unknown) => this.log.warn({ err: error, height, round }, "a proposal's block could not be logged after it was sent: restarted, this member would not send that proposal again"))
      .finally(() => this.blockWrites.delete(write));
    this.blockWrites.add(write);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function isPrecommit(message: ConsensusMessage): message is Vote {
  return message.kind === 'vote' && message.type === VoteType.Precommit;
}

/** Milliseconds since `started` (a `performance.now()`), to a tenth: what the debug lines report. */
function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
