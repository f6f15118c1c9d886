export { ConsensusMachine } from './machine.ts';
export { restoreFromWal } from './restore.ts';
export { checkConsensusConfig, DEFAULT_TIMEOUTS, skipThreshold, timeoutMs, type ConsensusConfig, type Step, type TimeoutConfig } from './config.ts';
export { proposerIndex } from './proposer.ts';
export type { CommitCertificate, ConsensusEvent, Effect, HandleResult } from './events.ts';
export { admitMessage, DROP_REASONS, emptyDropCounts, type Admission, type DropCounts, type DropReason } from './admission.ts';
export { LATE_PRECOMMIT_HEIGHTS, LatePrecommits } from './late-precommits.ts';
export { checkEvidence, decodeEvidence, encodeEvidence, EvidencePool, type Evidence } from './evidence.ts';
export {
  decodeMessage,
  encodeMessage,
  hasValidSignature,
  messageSignBytes,
  proposalSignBytes,
  signProposal,
  signVote,
  type ConsensusMessage,
  type Proposal,
  type ProposalValue,
  type Vote,
} from './messages.ts';
export { decodeWalRecord, durableStateFromWal, encodeWalRecord, type DurableState, type ProposalRecord, type WalRecord } from './wal.ts';
