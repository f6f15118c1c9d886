import { VoteType } from '../../sidechain/vote.ts';
import { ConsensusMachine } from '../../federation/consensus/machine.ts';
import type { Effect } from '../../federation/consensus/events.ts';
import { signProposal, signVote, type ConsensusMessage, type Proposal, type ProposalValue, type Vote } from '../../federation/consensus/messages.ts';
import { CHAIN_ID, memberConfig, memberSeed } from './consensus-sim.ts';

/** One member's machine fed by hand, with peers' messages signed by their real keys. */
export class MachineFixture {
  readonly machine: ConsensusMachine;

  constructor(
    readonly n = 5,
    readonly k = 4,
    readonly memberIndex = 0,
    readonly height = 1,
    machine?: ConsensusMachine,
  ) {
    this.machine = machine ?? new ConsensusMachine(memberConfig(n, k, memberIndex), height);
  }

  proposal(from: number, round: number, value: ProposalValue, polRound = -1): Proposal {
    return signProposal(CHAIN_ID, memberSeed(from), { height: this.height, round, polRound, value, memberIndex: from });
  }

  vote(from: number, type: VoteType, round: number, value: ProposalValue | null): Vote {
    return signVote(CHAIN_ID, memberSeed(from), { type, height: this.height, round, blockHash: value?.hash ?? null, memberIndex: from });
  }

  votes(from: number[], type: VoteType, round: number, value: ProposalValue | null): Vote[] {
    return from.map((index) => this.vote(index, type, round, value));
  }

  receive(...messages: ConsensusMessage[]): Effect[] {
    return messages.flatMap((message) => this.machine.handle({ kind: 'message', message }).effects);
  }

  /** Delivers a proposal and answers its validation as the driver would. */
  propose(from: number, round: number, value: ProposalValue, polRound = -1, ok = true): Effect[] {
    const effects = this.receive(this.proposal(from, round, value, polRound));
    return [...effects, ...this.machine.handle({ kind: 'validated', height: this.height, hash: value.hash, ok }).effects];
  }

  timeout(round: number, step: 'propose' | 'prevote' | 'precommit'): Effect[] {
    return this.machine.handle({ kind: 'timeout', height: this.height, round, step }).effects;
  }
}

/** The votes this member broadcast among the effects, as (type, round, hash hex or 'nil'). */
export function ownVotes(effects: Effect[], memberIndex: number): string[] {
  return effects.flatMap((effect) =>
    effect.kind === 'broadcast' && effect.message.kind === 'vote' && effect.message.memberIndex === memberIndex
      ? [`${effect.message.type === VoteType.Prevote ? 'prevote' : 'precommit'} r${effect.message.round} ${effect.message.blockHash ? Buffer.from(effect.message.blockHash).toString('hex').slice(0, 8) : 'nil'}`]
      : [],
  );
}

export function short(value: ProposalValue): string {
  return Buffer.from(value.hash).toString('hex').slice(0, 8);
}
