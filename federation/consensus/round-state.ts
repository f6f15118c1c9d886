import type { Evidence } from './evidence.ts';
import type { Proposal, Vote } from './messages.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { hashKey, VoteTally } from './vote-tally.ts';

/** What a member has heard in one round of the current height, and which one-shot rules fired. */
export class RoundState {
  proposal: Proposal | undefined;
  readonly prevotes = new VoteTally();
  readonly precommits = new VoteTally();
  /** Members with any message in this round: the skip-round rule counts them. */
  readonly senders = new Set<number>();
  prevoteTimeoutScheduled = false;
  precommitTimeoutScheduled = false;
  polkaHandled = false;

  /** Returns evidence when the proposer already proposed something else in this round. */
  addProposal(proposal: Proposal): Evidence | undefined {
    if (this.proposal) {
      if (hashKey(this.proposal.value.hash) === hashKey(proposal.value.hash)) return undefined;
      return { kind: 'conflicting-proposals', first: this.proposal, second: proposal };
    }
    this.proposal = proposal;
    this.senders.add(proposal.memberIndex);
    return undefined;
  }

  /** Returns evidence when the member already voted differently at this step of this round. */
  addVote(vote: Vote): Evidence | undefined {
    const tally = vote.type === VoteType.Prevote ? this.prevotes : this.precommits;
    const result = tally.add(vote);
    if (result.outcome === 'conflict') return { kind: 'conflicting-votes', first: result.existing, second: vote };
    if (result.outcome === 'added') this.senders.add(vote.memberIndex);
    return undefined;
  }
}
