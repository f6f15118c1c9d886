import { DecodeError, Reader, Writer } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { decodeMessage, encodeMessage, hasValidSignature, messageHash, type Proposal, type Vote } from './messages.ts';
import { hashKey } from './vote-tally.ts';

/**
 * Proof that one member signed two different things where the protocol allows one: two votes
 * of one type for one height and round, or two proposals for one height and round. Both signed
 * messages are kept, so anyone holding the member keys can check it without trusting us.
 */
export type Evidence =
  | { kind: 'conflicting-votes'; first: Vote; second: Vote }
  | { kind: 'conflicting-proposals'; first: Proposal; second: Proposal };

function evidenceKey(evidence: Evidence): string {
  const { first } = evidence;
  const slot = first.kind === 'vote' ? `vote${first.type}` : 'proposal';
  return `${first.memberIndex}/${first.height}/${first.round}/${slot}`;
}

/** Room for a message's fields around its proposal value, when bounding an encoded message's length. */
const MESSAGE_OVERHEAD_BYTES = 256;

/** Both signed messages, each length-prefixed: what a member stores and serves as evidence. */
export function encodeEvidence(evidence: Evidence): Uint8Array {
  return new Writer().varBytes(encodeMessage(evidence.first)).varBytes(encodeMessage(evidence.second)).finish();
}

/** The evidence `encodeEvidence` wrote; any other bytes are a DecodeError. Decoding checks no signature: `checkEvidence` does. */
export function decodeEvidence(bytes: Uint8Array, maxValueBytes: number): Evidence {
  const reader = new Reader(bytes, 'evidence');
  const first = decodeMessage(reader.varBytes('first', maxValueBytes + MESSAGE_OVERHEAD_BYTES), maxValueBytes);
  const second = decodeMessage(reader.varBytes('second', maxValueBytes + MESSAGE_OVERHEAD_BYTES), maxValueBytes);
  reader.end();
  if (first.kind === 'vote' && second.kind === 'vote') return { kind: 'conflicting-votes', first, second };
  if (first.kind === 'proposal' && second.kind === 'proposal') return { kind: 'conflicting-proposals', first, second };
  throw new DecodeError('evidence', 'a proposal and a vote are no conflict');
}

/** Throws ValidationError unless the evidence proves equivocation by one known member. */
export function checkEvidence(chainId: Uint8Array, members: Uint8Array[], evidence: Evidence): void {
  const { first, second } = evidence;
  const sameSlot =
    first.memberIndex === second.memberIndex &&
    first.height === second.height &&
    first.round === second.round &&
    (first.kind === 'proposal' || (second.kind === 'vote' && first.type === second.type));
  if (!sameSlot) throw new ValidationError('evidence', 'the two messages are not for the same member, height, round and step');
  if (hashKey(messageHash(first)) === hashKey(messageHash(second))) throw new ValidationError('evidence', 'the two messages do not conflict');
  const key = members[first.memberIndex];
  if (!key) throw new ValidationError('evidence', `unknown member ${first.memberIndex}`);
  if (!hasValidSignature(chainId, key, first) || !hasValidSignature(chainId, key, second)) {
    throw new ValidationError('evidence', 'a signature does not verify');
  }
}

/** Evidence seen by this member, one entry per (member, height, round, step): the first proof suffices. */
export class EvidencePool {
  private readonly entries = new Map<string, Evidence>();

  /** True when the evidence is new. */
  add(evidence: Evidence): boolean {
    const key = evidenceKey(evidence);
    if (this.entries.has(key)) return false;
    this.entries.set(key, evidence);
    return true;
  }

  list(): Evidence[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}
