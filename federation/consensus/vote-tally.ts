import type { Vote } from './messages.ts';

/** A map key for a block hash; nil votes count under their own key. */
export function hashKey(hash: Uint8Array | null): string {
  return hash === null ? 'nil' : Buffer.from(hash).toString('hex');
}

export type AddVoteResult = { outcome: 'added' } | { outcome: 'duplicate' } | { outcome: 'conflict'; existing: Vote };

/**
 * The votes of one type in one round: at most one per member. The first vote a member sends is
 * the one counted; a different second one is equivocation, reported to the caller as evidence
 * and never counted, so one member can never weigh twice in a quorum.
 */
export class VoteTally {
  private readonly byMember = new Map<number, Vote>();
  private readonly counts = new Map<string, number>();

  add(vote: Vote): AddVoteResult {
    const existing = this.byMember.get(vote.memberIndex);
    if (existing) {
      return hashKey(existing.blockHash) === hashKey(vote.blockHash) ? { outcome: 'duplicate' } : { outcome: 'conflict', existing };
    }
    this.byMember.set(vote.memberIndex, vote);
    const key = hashKey(vote.blockHash);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return { outcome: 'added' };
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  get total(): number {
    return this.byMember.size;
  }

  hasVoteFrom(memberIndex: number): boolean {
    return this.byMember.has(memberIndex);
  }

  /** A hash (not nil) with at least `threshold` votes, if any. */
  quorumHash(threshold: number): string | undefined {
    for (const [key, count] of this.counts) if (key !== 'nil' && count >= threshold) return key;
    return undefined;
  }

  /** The votes for one key, in member order. */
  votesFor(key: string): Vote[] {
    return [...this.byMember.values()].filter((vote) => hashKey(vote.blockHash) === key).sort((a, b) => a.memberIndex - b.memberIndex);
  }
}
