import { StrongboxError } from '../../sidechain/errors.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { admitMessage, emptyDropCounts, type DropCounts, type DropReason } from './admission.ts';
import { checkConsensusConfig, skipThreshold, timeoutMs, type ConsensusConfig, type Step } from './config.ts';
import type { ConsensusEvent, Effect, HandleResult } from './events.ts';
import { EvidencePool } from './evidence.ts';
import type { ConsensusMessage, ProposalValue } from './messages.ts';
import { proposerIndex } from './proposer.ts';
import { NextHeightBuffer } from './next-height-buffer.ts';
import { HeightRounds } from './round-state.ts';
import { hashKey } from './vote-tally.ts';
import { isSendable, signRecord, walSlot, type DurableState, type SendableRecord, type WalRecord } from './wal.ts';


/**
 * Tendermint consensus for one member (Buchman, Kwon, Milosevic 2018, Algorithm 1) with a
 * quorum of k > 2n/3 in place of 2f + 1 and n − k + 1 in place of f + 1. It has no clock, no
 * sockets and no storage: `handle` takes one event and returns the effects for the driver to
 * execute in order (see Effect for the persist-before-broadcast contract). Line numbers in
 * comments refer to Algorithm 1 of the paper.
 */
export class ConsensusMachine {
  readonly evidence = new EvidencePool();
  readonly drops: DropCounts = emptyDropCounts();
  private round = 0;
  private step: Step | 'commit' = 'propose';
  private locked: DurableState['locked'] = null;
  private valid: DurableState['valid'] = null;
  private signed = new Map<string, WalRecord>();
  private readonly sentAs = new WeakMap<SendableRecord, ConsensusMessage>();
  private rounds = new HeightRounds();
  private validity = new Map<string, boolean | 'pending'>();
  private nextHeight = new NextHeightBuffer();
  private started = false;
  /** Precommits of n − k + 1 members for a value this member does not have were seen at this height. */
  private decidedElsewhere = false;
  private out: Effect[] = [];
  constructor(
    readonly config: ConsensusConfig,
    private height: number,
    restored: DurableState | null = null,
  ) {
    checkConsensusConfig(config);
    if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`height must be a non-negative integer, got ${height}`);
    if (restored) this.adopt(restored);
  }

  get state(): { height: number; round: number; step: Step | 'commit'; lockedRound: number; lockedHash: string | null; started: boolean } {
    return { height: this.height, round: this.round, step: this.step, lockedRound: this.locked?.round ?? -1, lockedHash: this.locked?.hash ?? null, started: this.started };
  }

  /**
   * The messages one member signed at the height being decided that this member holds. A member
   * whose restored consensus log has forgotten what it signed asks its peers for them before it
   * signs anything again (federation/member/forgotten-votes.ts).
   */
  heardFrom(memberIndex: number): { height: number; messages: ConsensusMessage[] } {
    const messages: ConsensusMessage[] = [];
    for (const [, state] of this.rounds.all()) {
      if (state.proposal?.memberIndex === memberIndex) messages.push(state.proposal);
      messages.push(...state.prevotes.votesOf(memberIndex), ...state.precommits.votesOf(memberIndex));
    }
    return { height: this.height, messages };
  }

  handle(event: ConsensusEvent): HandleResult {
    this.out = [];
    let dropped: DropReason | undefined;
    switch (event.kind) {
      case 'start':
        if (this.started) throw new StrongboxError('consensus-state', 'the machine was already started');
        this.started = true;
        this.resume();
        break;
      case 'message':
        dropped = this.receive(event.message);
        break;
      case 'proposalBuilt':
        this.onProposalBuilt(event.height, event.round, event.value);
        break;
      case 'validated':
        if (event.height === this.height && this.validity.get(hashKey(event.hash)) === 'pending') this.validity.set(hashKey(event.hash), event.ok);
        break;
      case 'timeout':
        this.onTimeout(event.height, event.round, event.step);
        break;
      case 'newHeight':
        this.enterHeight(event.height, event.logged ?? null);
        break;
      case 'regossip':
        this.regossip();
        break;
    }
    if (this.started) this.evaluate();
    return dropped ? { effects: this.out, dropped } : { effects: this.out };
  }

  /**
   * The algorithm assumes that a message one correct member received eventually reaches every
   * correct member. The transport only sends each message once, so the driver feeds `regossip`
   * periodically: the member re-sends what it signed in this round and relays the proposal and
   * prevote quorum behind its valid value, which unlocked members need to accept a re-proposal
   * when some of those prevotes came from an equivocating member.
   */
  private regossip(): void {
    if (this.decidedElsewhere && this.step !== 'commit') this.out.push({ kind: 'fetchDecided', height: this.height });
    for (const record of this.signed.values()) if (record.round === this.round) this.broadcastRecord(record);
    const valid = this.valid && this.rounds.peek(this.valid.round);
    if (!this.valid || !valid?.proposal) return;
    const key = hashKey(this.valid.value.hash);
    if (hashKey(valid.proposal.value.hash) === key) this.out.push({ kind: 'broadcast', message: valid.proposal });
    for (const vote of valid.prevotes.votesFor(key)) this.out.push({ kind: 'broadcast', message: vote });
  }

  /** Line 10 StartRound, or after a restart the round it had reached, re-sending what it signed there. */
  private resume(): void {
    const own = [...this.signed.values()].filter((record) => record.round === this.round);
    if (own.length === 0) return this.startRound(this.round);
    for (const record of own) this.broadcastRecord(record);
    // A timeout only ever leads to a nil vote or the next round, which is always safe; here it
    // restores progress when the votes this member had heard before the crash are gone.
    if (this.step !== 'commit') this.scheduleTimeout(this.step);
  }

  private startRound(round: number): void {
    this.round = round;
    this.step = 'propose';
    if (proposerIndex(this.height, round, this.config.members.length) === this.config.memberIndex) {
      // A proposal signed before a restart is sent again, or, if its block was lost, nothing is.
      if (this.signed.has(walSlot(round, 'proposal'))) this.broadcastRecord(this.signed.get(walSlot(round, 'proposal'))!);
      else if (this.valid) this.propose(this.valid.value, this.valid.round);
      else this.proposeCheckedOrBuild(round);
    }
    // Also armed for the proposer, so a value that is never built cannot stall the round.
    this.scheduleTimeout('propose');
  }

  /**
   * Line 16 lets getValue() return any value. A value this member found valid in an earlier round
   * of the height has been checked by every member that received it too: they prevote for it as
   * it arrives, and nobody builds or executes another block. Under load a round fails because its
   * proposal arrives after the propose timeout, and a new block made each later round's proposal
   * later still. Prevotes still require each member's own validation and its lock.
   */
  private proposeCheckedOrBuild(round: number): void {
    const checked = this.rounds.latestProposalBefore(round, (key) => this.validity.get(key) === true);
    if (checked) this.propose(checked, -1);
    else this.out.push({ kind: 'buildProposal', height: this.height, round });
  }

  private onProposalBuilt(height: number, round: number, value: ProposalValue): void {
    if (height !== this.height || round !== this.round || this.step === 'commit') return;
    if (proposerIndex(height, round, this.config.members.length) !== this.config.memberIndex) return;
    if (this.signed.has(walSlot(round, 'proposal'))) return;
    // The driver built the value against its own ledger, so it needs no second validation.
    this.validity.set(hashKey(value.hash), true);
    this.propose(value, -1);
  }

  private onTimeout(height: number, round: number, step: Step): void {
    if (height !== this.height || round !== this.round || this.step === 'commit') return;
    if (step === 'propose' && this.step === 'propose') this.vote(VoteType.Prevote, null); // line 57
    else if (step === 'prevote' && this.step === 'prevote') this.vote(VoteType.Precommit, null); // line 61
    else if (step === 'precommit') this.startRound(round + 1); // line 65
  }

  /**
   * Enters `height` with what the log holds there, as a restart at that height would: a height
   * reached through catch-up may be one this member signed at before its database was restored.
   */
  private enterHeight(height: number, logged: DurableState | null): void {
    if (height <= this.height) throw new StrongboxError('consensus-height', `new height ${height} is not above the current height ${this.height}`);
    const buffered = this.nextHeight.drain().filter((message) => message.height === height);
    this.height = height;
    this.adopt(logged ?? { round: 0, step: 'propose', locked: null, valid: null, signed: new Map() });
    this.rounds = new HeightRounds();
    this.validity = new Map();
    this.decidedElsewhere = false;
    if (this.started) this.resume();
    for (const message of buffered) this.apply(message);
  }

  private adopt(durable: DurableState): void {
    ({ round: this.round, step: this.step, locked: this.locked, valid: this.valid, signed: this.signed } = durable);
  }

  private receive(message: ConsensusMessage): DropReason | undefined {
    const admission = admitMessage(this.config, this.height, message);
    const reason = admission.ok ? this.bufferOrApply(message) : admission.reason;
    if (reason) this.drops[reason]++;
    return reason;
  }

  private bufferOrApply(message: ConsensusMessage): DropReason | undefined {
    if (message.height === this.height + 1) return this.nextHeight.add(message) ? undefined : 'buffer-full';
    if (!this.rounds.admitsRound(message.memberIndex, message.round, this.round)) return 'round-flood';
    this.apply(message);
    return undefined;
  }

  private apply(message: ConsensusMessage): void {
    if (this.step === 'commit') return;
    const state = this.rounds.at(message.round);
    const evidence = message.kind === 'proposal' ? state.addProposal(message) : state.addVote(message);
    if (evidence && this.evidence.add(evidence)) this.out.push({ kind: 'evidence', evidence });
    if (message.kind === 'proposal' && state.proposal === message) this.requestValidation(message.value);
  }

  private requestValidation(value: ProposalValue): void {
    const key = hashKey(value.hash);
    if (this.validity.has(key)) return;
    this.validity.set(key, 'pending');
    this.out.push({ kind: 'validate', height: this.height, value });
  }

  /** Applies the upon-rules until none fires: one event can enable several in a row. */
  private evaluate(): void {
    while (this.step !== 'commit') {
      if (this.tryDecide() || this.trySkipRound() || this.tryStepRule()) continue;
      return;
    }
  }

  /**
   * Line 49: k precommits for a valid value in any round decide it. Without the value (its
   * proposal never reached this member, or was sent before this member was listening) the
   * algorithm waits for it forever, since nobody proposes a decided height again: the driver is
   * told to fetch the final block instead, already at n − k + 1 precommits for the value (one of
   * them correct, so a prevote quorum for it exists and the others are about to decide it).
   * Waiting for k would wait in vain when the member missing is the one whose link is down.
   */
  private tryDecide(): boolean {
    const k = this.config.threshold;
    for (const [round, state] of this.rounds.all()) {
      this.noticeDecisionElsewhere(state.precommits.quorumHash(skipThreshold(this.config)));
      const key = state.precommits.quorumHash(k);
      if (key === undefined) continue;
      const value = this.knownValue(key);
      if (!value || this.validity.get(key) !== true) continue;
      this.step = 'commit';
      this.out.push({ kind: 'commit', height: this.height, value, certificate: { round, signatures: state.precommitSignatures(key) } });
      return true;
    }
    return false;
  }

  private noticeDecisionElsewhere(key: string | undefined): void {
    if (key === undefined || this.decidedElsewhere || this.knownValue(key)) return;
    this.decidedElsewhere = true;
    this.out.push({ kind: 'fetchDecided', height: this.height });
  }

  /** Line 55: n − k + 1 members already in a higher round include a correct one; follow them. */
  private trySkipRound(): boolean {
    let target = -1;
    for (const [round, state] of this.rounds.all()) {
      if (round > this.round && round > target && state.senders.size >= skipThreshold(this.config)) target = round;
    }
    if (target < 0) return false;
    this.startRound(target);
    return true;
  }

  private tryStepRule(): boolean {
    const k = this.config.threshold;
    const state = this.rounds.at(this.round);
    const proposal = state.proposal;
    const key = proposal ? hashKey(proposal.value.hash) : undefined;
    const validity = key === undefined ? undefined : this.validity.get(key);
    if (this.step === 'propose' && proposal && key !== undefined && (validity === true || validity === false)) {
      if (proposal.polRound === -1) {
        // Line 22: a fresh value is acceptable unless locked on another.
        const acceptable = validity && (this.locked === null || this.locked.hash === key);
        this.vote(VoteType.Prevote, acceptable ? proposal.value.hash : null);
        return true;
      }
      if (this.rounds.at(proposal.polRound).prevotes.count(key) >= k) {
        // Line 28: a prevote quorum newer than the lock justifies switching to its value.
        const acceptable = validity && (this.locked === null || this.locked.round <= proposal.polRound || this.locked.hash === key);
        this.vote(VoteType.Prevote, acceptable ? proposal.value.hash : null);
        return true;
      }
    }
    if (this.step === 'prevote' && !state.prevoteTimeoutScheduled && state.prevotes.total >= k) {
      state.prevoteTimeoutScheduled = true; // line 34
      this.scheduleTimeout('prevote');
      return true;
    }
    if (this.step !== 'propose' && proposal && key !== undefined && validity === true && !state.polkaHandled && state.prevotes.count(key) >= k) {
      // Line 36: lock and precommit the value of a prevote quorum, and remember it as valid.
      state.polkaHandled = true;
      if (this.step === 'prevote' && this.vote(VoteType.Precommit, proposal.value.hash)) this.locked = { round: this.round, hash: key };
      this.valid = { round: this.round, value: proposal.value };
      return true;
    }
    if (this.step === 'prevote' && state.prevotes.count('nil') >= k) {
      this.vote(VoteType.Precommit, null); // line 44
      return true;
    }
    if (!state.precommitTimeoutScheduled && state.precommits.total >= k) {
      state.precommitTimeoutScheduled = true; // line 47
      this.scheduleTimeout('precommit');
      return true;
    }
    return false;
  }

  private knownValue(key: string): ProposalValue | undefined {
    return this.valid && hashKey(this.valid.value.hash) === key ? this.valid.value : this.rounds.proposedValue(key);
  }

  private propose(value: ProposalValue, polRound: number): void {
    this.sign({ step: 'proposal', height: this.height, round: this.round, polRound, hash: value.hash, bytes: value.bytes });
  }

  /** Votes and moves to the vote's step; false when this slot was already signed for another hash. */
  private vote(type: VoteType, hash: Uint8Array | null): boolean {
    const step = type === VoteType.Prevote ? 'prevote' : 'precommit';
    this.step = step;
    return this.sign({ step, height: this.height, round: this.round, hash });
  }

  /**
   * The one place that signs. A slot (height, round, step) is signed at most once: signing it
   * again re-sends the recorded message, and a different hash for a signed slot is never signed.
   * A new record is emitted as `persist` before its `broadcast`. A proposal's record is persisted
   * without its block, which its signature does not cover and which may be megabytes, and the
   * block follows the broadcast as `persistBlock`: logging it first made the proposal late.
   */
  private sign(record: WalRecord): boolean {
    const slot = walSlot(record.round, record.step);
    const existing = this.signed.get(slot);
    if (existing) {
      this.broadcastRecord(existing);
      return hashKey(existing.hash) === hashKey(record.hash);
    }
    this.signed.set(slot, record);
    this.out.push({ kind: 'persist', record: record.step === 'proposal' ? { ...record, bytes: null } : record });
    this.broadcastRecord(record);
    if (record.step === 'proposal') this.out.push({ kind: 'persistBlock', record });
    return true;
  }

  /** Sends a signed record again; a proposal whose block a crash kept out of the log cannot be. */
  private broadcastRecord(record: WalRecord): void {
    if (!isSendable(record)) return;
    const message = this.messageOf(record);
    if (record.step === 'proposal') this.validity.set(hashKey(record.hash), true);
    this.apply(message);
    this.out.push({ kind: 'broadcast', message });
  }

  /**
   * The message a record was first sent as. Ed25519 signs the same bytes the same way, so a
   * regossip or a re-sent slot sends that message again rather than sign it anew; records are
   * replaced, never changed, so one is never sent with another's signature.
   */
  private messageOf(record: SendableRecord): ConsensusMessage {
    let message = this.sentAs.get(record);
    if (!message) {
      message = signRecord(this.config, record);
      this.sentAs.set(record, message);
    }
    return message;
  }

  private scheduleTimeout(step: Step): void {
    this.out.push({ kind: 'scheduleTimeout', height: this.height, round: this.round, step, ms: timeoutMs(this.config.timeouts, step, this.round) });
  }

}
