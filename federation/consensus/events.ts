import type { DropReason } from './admission.ts';
import type { Step } from './config.ts';
import type { Evidence } from './evidence.ts';
import type { ConsensusMessage, ProposalValue } from './messages.ts';
import type { DurableState, ProposalRecord, WalRecord } from './wal.ts';

/** The certificate the finality verifier checks; the machine produces exactly this shape. */
import type { CommitCertificate } from '../../sidechain/commit.ts';

export type { CommitCertificate };

/** Everything that can happen to the machine. The driver feeds them one at a time, in order. */
export type ConsensusEvent =
  | { kind: 'start' }
  | { kind: 'message'; message: ConsensusMessage }
  | { kind: 'proposalBuilt'; height: number; round: number; value: ProposalValue }
  | { kind: 'validated'; height: number; hash: Uint8Array; ok: boolean }
  | { kind: 'timeout'; height: number; round: number; step: Step }
  /**
   * The machine moves to `height`, holding what this member's log holds there (`logged`, as
   * `durableStateFromWal` reads it): it resumes from those records as a restart would, and
   * without any it starts the height afresh.
   */
  | { kind: 'newHeight'; height: number; logged?: DurableState | null }
  | { kind: 'regossip' };

/**
 * What the machine asks the driver to do, in order. The contract: a `persist` effect must be
 * durably stored (fsync'd / committed) before any effect after it is executed, because the
 * `broadcast` that follows it carries a signature, and a signature that leaves the process
 * before its record is durable could, after a crash, be contradicted by a new one.
 */
export type Effect =
  | { kind: 'persist'; record: WalRecord }
  /**
   * The proposal just sent, now with its block, for the log: stored in the background, since no
   * effect waits for it. Its signed slot is already durable (a `persist` without the block came
   * before the broadcast); the block only lets a restarted proposer send that proposal again.
   */
  | { kind: 'persistBlock'; record: ProposalRecord }
  | { kind: 'broadcast'; message: ConsensusMessage }
  | { kind: 'buildProposal'; height: number; round: number }
  | { kind: 'validate'; height: number; value: ProposalValue }
  | { kind: 'scheduleTimeout'; height: number; round: number; step: Step; ms: number }
  | { kind: 'commit'; height: number; value: ProposalValue; certificate: CommitCertificate }
  | { kind: 'evidence'; evidence: Evidence }
  /**
   * k members precommitted a value this member never received: the height is decided without it,
   * and only the final block, fetched from peers, lets it go on. Emitted when the quorum is first
   * seen and again at each regossip until the height ends.
   */
  | { kind: 'fetchDecided'; height: number };

/** `dropped` is set when a message event was refused; such an event changes no state. */
export interface HandleResult {
  effects: Effect[];
  dropped?: DropReason;
}
