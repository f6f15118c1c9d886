import type { Vote } from './messages.ts';

/** A map key for a block hash; nil votes count under their own key. */
export function hashKey(hash: Uint8Array | null): string {
  return hash === null ? 'nil' : Buffer.from(hash).toString('hex');
}

export type AddVoteResult = { outcome: 'added' } | { outcome: 'duplicate' } | { outcome: 'conflict'; existing: Vote };

/**
 * Votes a member may have counted for different hashes in one slot. Only an equivocating member
 * has more than one; two are enough to prove it and to count it where peers saw it, and the cap
 * keeps a Byzantine member from growing our memory.
 */
const VOTES_PER_MEMBER = 2;

/**
 * The votes of one type in one round. A quorum is k distinct members who signed a vote for the
 * same hash. An equivocating member is counted for each hash it signed (up to the cap): the
 * quorum-intersection argument only needs k distinct signers per quorum, and honest members
 * never sign twice, so this keeps safety while letting members that heard different halves of
 * an equivocation still agree on a quorum once the votes are relayed.
 */
export class VoteTally {
  private readonly byMember = new Map<number, Vote[]>();
  private readonly counts = new Map<string, number>();

  add(vote: Vote): AddVoteResult {
    const key = hashKey(vote.blockHash);
    const existing = this.byMember.get(vote.memberIndex) ?? [];
    if (existing.some((other) => hashKey(other.blockHash) === key)) return { outcome: 'duplicate' };
    if (existing.length < VOTES_PER_MEMBER) {
      existing.push(vote);
      this.byMember.set(vote.memberIndex, existing);
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    return existing[0] === vote ? { outcome: 'added' } : { outcome: 'conflict', existing: existing[0]! };
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Distinct members with any vote here. */
  get total(): number {
    return this.byMember.size;
  }

  /** A hash (not nil) with at least `threshold` votes, if any. */
  quorumHash(threshold: number): string | undefined {
    for (const [key, count] of this.counts) if (key !== 'nil' && count >= threshold) return key;
    return undefined;
  }

  /** The votes one member cast here: one, or two when it equivocated. */
  votesOf(memberIndex: number): Vote[] {
    return [...(this.byMember.get(memberIndex) ?? [])];
  }

  /** The votes for one key, one per member, in member order. */
  votesFor(key: string): Vote[] {
    const votes: Vote[] = [];
    for (const memberVotes of this.byMember.values()) for (const vote of memberVotes) if (hashKey(vote.blockHash) === key) votes.push(vote);
    return votes.sort((a, b) => a.memberIndex - b.memberIndex);
  }
}
