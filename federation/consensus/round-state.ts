import type { Evidence } from './evidence.ts';
import type { Proposal, ProposalValue, Vote } from './messages.ts';
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

  /** The certificate signatures: every precommit for `key` in this round, in member order. */
  precommitSignatures(key: string): { memberIndex: number; signature: Uint8Array }[] {
    return this.precommits.votesFor(key).map(({ memberIndex, signature }) => ({ memberIndex, signature }));
  }

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

/** Distinct rounds ahead of ours one member may fill, so a peer cannot grow our memory without bound. */
const FUTURE_ROUNDS_PER_MEMBER = 2;

/** The rounds of the current height, created as messages for them arrive. */
export class HeightRounds {
  private readonly rounds = new Map<number, RoundState>();

  at(round: number): RoundState {
    let state = this.rounds.get(round);
    if (!state) {
      state = new RoundState();
      this.rounds.set(round, state);
    }
    return state;
  }

  peek(round: number): RoundState | undefined {
    return this.rounds.get(round);
  }

  all(): IterableIterator<[number, RoundState]> {
    return this.rounds.entries();
  }

  /** False when the member already fills its share of rounds above `current` and this is another. */
  admitsRound(memberIndex: number, round: number, current: number): boolean {
    if (round <= current || this.rounds.get(round)?.senders.has(memberIndex)) return true;
    let ahead = 0;
    for (const [other, state] of this.rounds) if (other > current && state.senders.has(memberIndex)) ahead++;
    return ahead < FUTURE_ROUNDS_PER_MEMBER;
  }

  /** The value proposed in the latest round before `round` whose value `accepted` takes. */
  latestProposalBefore(round: number, accepted: (key: string) => boolean): ProposalValue | undefined {
    let latest: { round: number; value: ProposalValue } | undefined;
    for (const { round: other, key, value } of this.proposals()) {
      if (other < round && (!latest || other > latest.round) && accepted(key)) latest = { round: other, value };
    }
    return latest?.value;
  }

  /** The value of any round's proposal with this hash key. */
  proposedValue(key: string): ProposalValue | undefined {
    for (const proposal of this.proposals()) if (proposal.key === key) return proposal.value;
    return undefined;
  }

  /** Each round's proposal, in the order its round was first heard of. */
  private *proposals(): Generator<{ round: number; key: string; value: ProposalValue }> {
    for (const [round, state] of this.rounds) {
      if (state.proposal) yield { round, key: hashKey(state.proposal.value.hash), value: state.proposal.value };
    }
  }
}
