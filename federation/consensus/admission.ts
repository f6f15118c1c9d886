import type { ConsensusConfig } from './config.ts';
import { HASH_LENGTH, hasValidSignature, messageHash, type ConsensusMessage } from './messages.ts';
import { proposerIndex } from './proposer.ts';

/** Why a peer message was dropped before it could change any state. */
export type DropReason =
  | 'malformed'
  | 'unknown-member'
  | 'stale-height'
  | 'future-height'
  | 'wrong-proposer'
  | 'oversized'
  | 'bad-signature'
  | 'round-flood'
  | 'buffer-full';

export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'unknown-member',
  'stale-height',
  'future-height',
  'wrong-proposer',
  'oversized',
  'bad-signature',
  'round-flood',
  'buffer-full',
];

export type DropCounts = Record<DropReason, number>;

export function emptyDropCounts(): DropCounts {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as DropCounts;
}

export type Admission = { ok: true } | { ok: false; reason: DropReason };

/**
 * The checks a message must pass before the state machine sees it: a known sender, a height
 * this member is deciding or the next one (anything else is either finished or reached through
 * block catch-up, not votes), the right proposer for a proposal, a bounded value, and the
 * sender's signature. The signature is checked last because it is the expensive part.
 */
export function admitMessage(config: ConsensusConfig, currentHeight: number, message: ConsensusMessage): Admission {
  if (!isWellFormed(message)) return { ok: false, reason: 'malformed' };
  const key = config.members[message.memberIndex];
  if (!key) return { ok: false, reason: 'unknown-member' };
  if (message.height < currentHeight) return { ok: false, reason: 'stale-height' };
  if (message.height > currentHeight + 1) return { ok: false, reason: 'future-height' };
  if (message.kind === 'proposal') {
    if (message.memberIndex !== proposerIndex(message.height, message.round, config.members.length)) return { ok: false, reason: 'wrong-proposer' };
    if (message.value.bytes.length > config.maxValueBytes) return { ok: false, reason: 'oversized' };
  }
  if (!hasValidSignature(config.chainId, key, message)) return { ok: false, reason: 'bad-signature' };
  return { ok: true };
}

/** Decoded messages always pass; this guards callers that build message objects themselves. */
function isWellFormed(message: ConsensusMessage): boolean {
  const hash = messageHash(message);
  return (
    Number.isSafeInteger(message.height) &&
    message.height >= 0 &&
    Number.isInteger(message.round) &&
    message.round >= 0 &&
    message.round <= 0xffffffff &&
    Number.isInteger(message.memberIndex) &&
    (hash === null || hash.length === HASH_LENGTH) &&
    (message.kind === 'vote' || (Number.isInteger(message.polRound) && message.polRound >= -1 && message.polRound < message.round))
  );
}
