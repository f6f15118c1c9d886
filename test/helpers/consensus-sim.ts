import { publicKeyFromSeed, verifySignature } from '../../sidechain/ed25519.ts';
import { sha256 } from '../../sidechain/hash.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import { ConsensusMachine } from '../../federation/consensus/machine.ts';
import { restoreFromWal } from '../../federation/consensus/restore.ts';
import type { ConsensusConfig, TimeoutConfig } from '../../federation/consensus/config.ts';
import type { CommitCertificate, ConsensusEvent, Effect } from '../../federation/consensus/events.ts';
import type { Evidence } from '../../federation/consensus/evidence.ts';
import { decodeMessage, encodeMessage, signProposal, signVote, type ConsensusMessage, type ProposalValue } from '../../federation/consensus/messages.ts';
import { decodeWalRecord, encodeWalRecord, type ProposalRecord, type WalRecord } from '../../federation/consensus/wal.ts';

/** sfc32: a small seeded generator, so every simulated run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed, b = 0x243f6a88 ^ (seed * 31), c = 0xb7e15162, d = 1;
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

export const CHAIN_ID = sha256(new TextEncoder().encode('strongbox consensus simulation'));
export const SIM_TIMEOUTS: TimeoutConfig = { proposeMs: 300, prevoteMs: 200, precommitMs: 200, roundDeltaMs: 100 };

export function memberSeed(index: number): Uint8Array {
  return sha256(new TextEncoder().encode(`member seed ${index}`));
}

export function memberConfig(n: number, k: number, memberIndex: number): ConsensusConfig {
  const members = Array.from({ length: n }, (_, i) => publicKeyFromSeed(memberSeed(i)));
  return { chainId: CHAIN_ID, members, threshold: k, memberIndex, seed: memberSeed(memberIndex), timeouts: SIM_TIMEOUTS, maxValueBytes: 1 << 16 };
}

/** A value whose hash commits to its bytes; values whose bytes start with "invalid" fail validation. */
export function makeValue(text: string): ProposalValue {
  const bytes = new TextEncoder().encode(text);
  return { hash: sha256(bytes), bytes };
}

export function isValidValue(value: ProposalValue): boolean {
  return Buffer.from(sha256(value.bytes)).equals(value.hash) && !Buffer.from(value.bytes).toString().startsWith('invalid');
}

/** The finality rule, checked independently of the machine: k distinct members' precommits. */
export function certificateIsValid(config: ConsensusConfig, height: number, hash: Uint8Array, certificate: CommitCertificate): boolean {
  const signBytes = voteSignBytes(config.chainId, VoteType.Precommit, height, certificate.round, hash);
  const signers = new Set<number>();
  for (const { memberIndex, signature } of certificate.signatures) {
    const key = config.members[memberIndex];
    if (!key || signers.has(memberIndex) || !verifySignature(key, signBytes, signature)) return false;
    signers.add(memberIndex);
  }
  return signers.size >= config.threshold;
}

export interface Decision {
  hash: string;
  value: ProposalValue;
  certificate: CommitCertificate;
}

export interface SimOptions {
  seed: number;
  n: number;
  k: number;
  maxDelayMs?: number;
  duplicateProbability?: number;
  dropProbability?: number;
  /**
   * Members that equivocate: they send a conflicting version of every message to odd-numbered
   * peers, and both versions to peers whose number is a multiple of 4 (so someone can prove it).
   */
  byzantine?: number[];
  /** How often each member re-sends its current round's messages (the driver's gossip). */
  regossipMs?: number;
  /** Pairs of members whose link is down: nothing either sends reaches the other. */
  cutLinks?: [number, number][];
  /** Whether the proposer of (height, round) builds an invalid value. */
  buildsInvalid?: (height: number, round: number) => boolean;
}

interface SimMember {
  index: number;
  config: ConsensusConfig;
  machine: ConsensusMachine | undefined;
  /** Bumped on every crash, so timers and deliveries of a dead incarnation are ignored. */
  epoch: number;
  /** The durable log, stored encoded as a driver would. */
  wal: Uint8Array[];
  blocks: Map<number, Decision>;
  evidence: Evidence[];
  broadcasts: ConsensusMessage[];
  crashAfterPersist: ((record: WalRecord) => boolean) | undefined;
  /** Crashes a proposer after it sent its proposal and before the block reached its log. */
  crashBeforeLoggingBlock: ((record: ProposalRecord) => boolean) | undefined;
}

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

/** A deterministic network of consensus machines in virtual time, driven like the real driver would. */
export class ConsensusSim {
  now = 0;
  readonly members: SimMember[];
  private readonly random: () => number;
  private queue: Scheduled[] = [];
  private seq = 0;
  private readonly byzantine: Set<number>;
  private readonly alternates = new Map<string, ProposalValue>();

  constructor(private readonly options: SimOptions) {
    this.random = seededRandom(options.seed);
    this.byzantine = new Set(options.byzantine ?? []);
    this.members = Array.from({ length: options.n }, (_, index) => ({
      index,
      config: memberConfig(options.n, options.k, index),
      machine: undefined,
      epoch: 0,
      wal: [],
      blocks: new Map(),
      evidence: [],
      broadcasts: [],
      crashAfterPersist: undefined,
      crashBeforeLoggingBlock: undefined,
    }));
    const regossipMs = options.regossipMs ?? 500;
    const tick = (): void => {
      for (const member of this.members) {
        if (!member.machine) continue;
        this.catchUp(member);
        this.feed(member, { kind: 'regossip' });
      }
      this.after(regossipMs, tick);
    };
    this.after(regossipMs, tick);
  }

  get honest(): SimMember[] {
    return this.members.filter((member) => !this.byzantine.has(member.index));
  }

  /** Starts (or restarts from its log) a member at the height after its last block. */
  start(index: number): void {
    const member = this.members[index]!;
    const height = member.blocks.size + 1;
    member.machine = member.wal.length > 0 ? restoreFromWal(member.config, height, member.wal.map(decodeWalRecord)) : new ConsensusMachine(member.config, height);
    this.feed(member, { kind: 'start' });
  }

  crash(index: number): void {
    const member = this.members[index]!;
    member.machine = undefined;
    member.epoch++;
  }

  /** Runs until `done` holds or the virtual clock passes `untilMs`. */
  run(untilMs: number, done: () => boolean = () => false): void {
    while (this.queue.length > 0 && !done()) {
      const next = this.pop();
      if (next.at > untilMs) {
        this.push(next);
        break;
      }
      this.now = next.at;
      next.run();
    }
    this.now = Math.max(this.now, Math.min(untilMs, this.queue[0]?.at ?? untilMs));
  }

  /** Heights every given member has decided. */
  minHeight(indexes: number[] = this.honest.map((member) => member.index)): number {
    return Math.min(...indexes.map((index) => this.members[index]!.blocks.size));
  }

  /** Throws if two honest members decided different values at one height, or a certificate is bad. */
  checkAgreement(): void {
    const decided = new Map<number, string>();
    for (const member of this.honest) {
      for (const [height, decision] of member.blocks) {
        if (!certificateIsValid(member.config, height, decision.value.hash, decision.certificate)) throw new Error(`member ${member.index}: bad certificate at height ${height}`);
        const other = decided.get(height);
        if (other !== undefined && other !== decision.hash) throw new Error(`fork at height ${height}: ${other} vs ${decision.hash} (member ${member.index})`);
        decided.set(height, decision.hash);
      }
    }
  }

  /** Block sync: a member behind a running peer takes its next block after checking the certificate. */
  private catchUp(member: SimMember): void {
    for (;;) {
      const height = member.blocks.size + 1;
      const source = this.members.find((peer) => peer.machine && peer.blocks.has(height));
      const block = source?.blocks.get(height);
      if (!block || !certificateIsValid(member.config, height, block.value.hash, block.certificate)) return;
      member.blocks.set(height, block);
      if (!member.blocks.has(height + 1) && !this.members.some((peer) => peer.machine && peer.blocks.has(height + 1))) {
        this.feed(member, { kind: 'newHeight', height: height + 1 });
        return;
      }
    }
  }

  feed(member: SimMember, event: ConsensusEvent): void {
    const machine = member.machine;
    if (!machine) return;
    this.execute(member, machine.handle(event).effects);
  }

  private execute(member: SimMember, effects: Effect[]): void {
    const epoch = member.epoch;
    const later = (ms: number, event: ConsensusEvent): void => this.after(ms, () => member.epoch === epoch && this.feed(member, event));
    for (const effect of effects) {
      if (member.epoch !== epoch) return;
      switch (effect.kind) {
        case 'persist':
          member.wal.push(encodeWalRecord(effect.record));
          if (member.crashAfterPersist?.(effect.record)) return this.crash(member.index);
          break;
        case 'persistBlock':
          if (member.crashBeforeLoggingBlock?.(effect.record)) return this.crash(member.index);
          member.wal.push(encodeWalRecord(effect.record));
          break;
        case 'broadcast':
          member.broadcasts.push(effect.message);
          this.send(member.index, effect.message);
          break;
        case 'buildProposal': {
          const prefix = this.options.buildsInvalid?.(effect.height, effect.round) ? 'invalid' : 'block';
          later(1, { kind: 'proposalBuilt', height: effect.height, round: effect.round, value: makeValue(`${prefix} ${effect.height}/${effect.round} by ${member.index}`) });
          break;
        }
        case 'validate':
          later(2, { kind: 'validated', height: effect.height, hash: effect.value.hash, ok: isValidValue(effect.value) });
          break;
        case 'scheduleTimeout':
          later(effect.ms, { kind: 'timeout', height: effect.height, round: effect.round, step: effect.step });
          break;
        case 'commit':
          member.blocks.set(effect.height, { hash: Buffer.from(effect.value.hash).toString('hex'), value: effect.value, certificate: effect.certificate });
          later(1, { kind: 'newHeight', height: effect.height + 1 });
          break;
        case 'evidence':
          member.evidence.push(effect.evidence);
          break;
        case 'fetchDecided':
          // As the driver does: at once, then again while the peers may still be deciding.
          for (const ms of [5, 50, 200]) this.after(ms, () => member.epoch === epoch && this.catchUp(member));
          break;
      }
    }
  }

  private send(from: number, message: ConsensusMessage): void {
    const { maxDelayMs = 30, duplicateProbability = 0, dropProbability = 0 } = this.options;
    for (const to of this.members) {
      if (to.index === from || this.linkIsCut(from, to.index)) continue;
      const versions = !this.byzantine.has(from) ? [message] : to.index % 2 === 1 ? [this.conflicting(from, message)] : to.index % 4 === 0 ? [message, this.conflicting(from, message)] : [message];
      for (const version of versions) {
        const wire = encodeMessage(version);
        const copies = this.random() < duplicateProbability ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          if (this.random() < dropProbability) continue;
          this.after(1 + Math.floor(this.random() * maxDelayMs), () => to.machine && this.execute(to, to.machine.handle({ kind: 'message', message: decodeMessage(wire, 1 << 16) }).effects));
        }
      }
    }
  }

  private linkIsCut(a: number, b: number): boolean {
    return (this.options.cutLinks ?? []).some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  }

  /** The Byzantine twin of a message: another value for a proposal, the other value (or nil) for a vote. */
  private conflicting(from: number, message: ConsensusMessage): ConsensusMessage {
    const { chainId, seed } = this.members[from]!.config;
    const slot = `${message.height}/${message.round}`;
    let alternate = this.alternates.get(slot);
    if (!alternate) {
      alternate = makeValue(`byzantine ${slot}`);
      this.alternates.set(slot, alternate);
    }
    if (message.kind === 'proposal') return signProposal(chainId, seed, { ...message, value: alternate });
    const blockHash = message.blockHash && Buffer.from(message.blockHash).equals(alternate.hash) ? null : alternate.hash;
    return signVote(chainId, seed, { ...message, blockHash });
  }

  private after(ms: number, run: () => void): void {
    this.push({ at: this.now + ms, seq: this.seq++, run });
  }

  private push(item: Scheduled): void {
    const queue = this.queue;
    queue.push(item);
    let i = queue.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(queue[i]!, queue[parent]!)) break;
      [queue[i], queue[parent]] = [queue[parent]!, queue[i]!];
      i = parent;
    }
  }

  private pop(): Scheduled {
    const queue = this.queue;
    const top = queue[0]!;
    const last = queue.pop()!;
    if (queue.length > 0) {
      queue[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1, right = left + 1;
        let smallest = i;
        if (left < queue.length && before(queue[left]!, queue[smallest]!)) smallest = left;
        if (right < queue.length && before(queue[right]!, queue[smallest]!)) smallest = right;
        if (smallest === i) break;
        [queue[i], queue[smallest]] = [queue[smallest]!, queue[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
