import { expect } from 'chai';
import { VoteType } from '../../sidechain/vote.ts';
import { ConsensusMachine } from '../../federation/consensus/machine.ts';
import type { Effect } from '../../federation/consensus/events.ts';
import type { ProposalValue } from '../../federation/consensus/messages.ts';
import { makeValue, memberConfig, certificateIsValid } from '../helpers/consensus-sim.ts';
import { MachineFixture, ownVotes, short } from '../helpers/consensus-fixture.ts';

const { Prevote, Precommit } = VoteType;
const v = makeValue('block v');
const w = makeValue('block w');

/**
 * Member 0 of 5 (k = 4) at height 1 after round 0 ended without a decision: v proposed and found
 * valid, members 1 to 3 prevoting `prevoted`.
 */
function roundZeroEnded(prevoted: ProposalValue | null): MachineFixture {
  const f = new MachineFixture();
  f.machine.handle({ kind: 'start' });
  f.propose(1, 0, v);
  f.receive(...f.votes([1, 2, 3], Prevote, 0, prevoted));
  f.receive(...f.votes([1, 2, 3], Precommit, 0, null));
  f.timeout(0, 'precommit');
  return f;
}

/** Member 0 has locked v in round 0: it saw k prevotes for it. */
const lockedOnV = () => roundZeroEnded(v);

describe('consensus machine', () => {
  it('refuses a threshold that is not above 2n/3', () => {
    expect(() => new ConsensusMachine(memberConfig(5, 3, 0), 1)).to.throw(/threshold/);
    expect(() => new ConsensusMachine(memberConfig(3, 2, 0), 1)).to.throw(/threshold/);
  });

  it('asks the driver to build a value when it is the proposer, and proposes it', () => {
    const f = new MachineFixture(5, 4, 1);
    const start = f.machine.handle({ kind: 'start' }).effects;
    expect(start.map((e) => e.kind)).to.deep.equal(['buildProposal', 'scheduleTimeout']);
    const effects = f.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: v }).effects;
    expect(effects.map((e) => e.kind)).to.deep.equal(['persist', 'broadcast', 'persistBlock', 'persist', 'broadcast']);
    expect(ownVotes(effects, 1)).to.deep.equal([`prevote r0 ${short(v)}`]);
  });

  it('persists every signed message before broadcasting it', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const effects = f.propose(1, 0, v);
    const persist = effects.findIndex((e) => e.kind === 'persist');
    const broadcast = effects.findIndex((e) => e.kind === 'broadcast');
    expect(persist).to.be.at.least(0);
    expect(persist).to.be.lessThan(broadcast);
  });

  it('decides with a certificate of k precommits once k members precommit a valid proposal', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    f.propose(1, 0, v);
    f.receive(...f.votes([1, 2, 3], Prevote, 0, v));
    const effects = f.receive(...f.votes([1, 2, 3], Precommit, 0, v));
    const commit = effects.find((e) => e.kind === 'commit');
    expect(commit?.kind).to.equal('commit');
    if (commit?.kind !== 'commit') return;
    expect(short(commit.value)).to.equal(short(v));
    expect(commit.certificate.signatures.map((s) => s.memberIndex)).to.deep.equal([0, 1, 2, 3]);
    expect(certificateIsValid(f.machine.config, 1, v.hash, commit.certificate)).to.equal(true);
  });

  it('prevotes nil for an invalid proposal and never decides it, even with k precommits', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    expect(ownVotes(f.propose(1, 0, v, -1, false), 0)).to.deep.equal(['prevote r0 nil']);
    const effects = f.receive(...f.votes([1, 2, 3, 4], Precommit, 0, v));
    expect(effects.some((e) => e.kind === 'commit')).to.equal(false);
  });

  it('asks for the decided block from peers once n − k + 1 members precommit a value it never received, until it moves on', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const fetches = (effects: Effect[]) => effects.filter((e) => e.kind === 'fetchDecided').map((e) => e.kind === 'fetchDecided' && e.height);
    // One precommit may come from a faulty member (n − k = 1 here); two include a correct one.
    expect(fetches(f.receive(f.vote(1, Precommit, 0, v)))).to.deep.equal([]);
    expect(fetches(f.receive(f.vote(2, Precommit, 0, v)))).to.deep.equal([1]);
    // The member whose precommit would make k here may be the one whose link is down: no second wait for it.
    const quorum = f.receive(...f.votes([3, 4], Precommit, 0, v));
    expect(fetches(quorum)).to.deep.equal([]);
    expect(quorum.some((e) => e.kind === 'commit')).to.equal(false);
    // Asked once per quorum, then again at each regossip in case the first fetch came too early.
    expect(fetches(f.timeout(0, 'propose'))).to.deep.equal([]);
    expect(fetches(f.machine.handle({ kind: 'regossip' }).effects)).to.deep.equal([1]);
    // Catch-up stored height 1: height 2 starts clean and asks for nothing.
    f.machine.handle({ kind: 'newHeight', height: 2 });
    expect(fetches(f.machine.handle({ kind: 'regossip' }).effects)).to.deep.equal([]);
  });

  it('asks for nothing when k members precommit a value it holds but has not validated yet', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const effects = [...f.receive(f.proposal(1, 0, v)), ...f.receive(...f.votes([1, 2, 3, 4], Precommit, 0, v)), ...f.machine.handle({ kind: 'regossip' }).effects];
    expect(effects.filter((e) => e.kind === 'fetchDecided')).to.deep.equal([]);
    expect(f.machine.handle({ kind: 'validated', height: 1, hash: v.hash, ok: true }).effects.some((e) => e.kind === 'commit')).to.equal(true);
  });

  it('prevotes nil when the proposal does not arrive before the propose timeout', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    expect(ownVotes(f.timeout(0, 'propose'), 0)).to.deep.equal(['prevote r0 nil']);
  });

  describe('a proposer holding no valid value (no prevote quorum seen)', () => {
    /** Member 2, proposer of round 1, after a round 0 whose proposal v reached it after its propose timeout. */
    function roundZeroLost(validation: 'valid' | 'invalid' | 'pending'): Effect[] {
      const f = new MachineFixture(5, 4, 2);
      f.machine.handle({ kind: 'start' });
      f.timeout(0, 'propose');
      if (validation === 'pending') f.receive(f.proposal(1, 0, v));
      else f.propose(1, 0, v, -1, validation === 'valid');
      f.receive(...f.votes([0, 3, 4], Prevote, 0, null));
      f.receive(...f.votes([0, 3, 4], Precommit, 0, null));
      return f.timeout(0, 'precommit');
    }
    const proposed = (effects: Effect[]) => effects.flatMap((e) => (e.kind === 'broadcast' && e.message.kind === 'proposal' ? [[e.message.round, e.message.polRound, short(e.message.value)]] : []));

    it('proposes the value it found valid in an earlier round of the height as a fresh one, and builds no block', () => {
      const effects = roundZeroLost('valid');
      expect(proposed(effects)).to.deep.equal([[1, -1, short(v)]]);
      expect(effects.some((e) => e.kind === 'buildProposal')).to.equal(false);
    });

    it('builds a block when the earlier value was invalid or its validation has not answered', () => {
      for (const validation of ['invalid', 'pending'] as const) {
        const effects = roundZeroLost(validation);
        expect(proposed(effects), validation).to.deep.equal([]);
        expect(effects.filter((e) => e.kind === 'buildProposal'), validation).to.have.length(1);
      }
    });

    it('a member that checked the value in an earlier round prevotes for it as it arrives, without validating it again', () => {
      const f = roundZeroEnded(null);
      const effects = f.receive(f.proposal(2, 1, v));
      expect(effects.some((e) => e.kind === 'validate')).to.equal(false);
      expect(ownVotes(effects, 0)).to.deep.equal([`prevote r1 ${short(v)}`]);
    });
  });

  describe('locking', () => {
    it('locks on the value of a prevote quorum when it precommits it', () => {
      const f = lockedOnV();
      expect(f.machine.state).to.include({ round: 1, lockedRound: 0, lockedHash: Buffer.from(v.hash).toString('hex') });
    });

    it('a locked member prevotes nil for a different fresh proposal', () => {
      const f = lockedOnV();
      expect(ownVotes(f.propose(2, 1, w), 0)).to.deep.equal(['prevote r1 nil']);
    });

    it('a locked member does not accept a re-proposal whose polRound has no prevote quorum it saw', () => {
      const f = lockedOnV();
      f.propose(2, 1, w);
      f.receive(...f.votes([1, 2, 3], Prevote, 1, null));
      f.receive(...f.votes([1, 2, 3], Precommit, 1, null));
      f.timeout(1, 'precommit');
      expect(ownVotes(f.propose(3, 2, w, 1), 0)).to.deep.equal([]);
      expect(ownVotes(f.timeout(2, 'propose'), 0)).to.deep.equal(['prevote r2 nil']);
    });

    it('a locked member prevotes its locked value when it is re-proposed', () => {
      const f = lockedOnV();
      expect(ownVotes(f.propose(2, 1, v, 0), 0)).to.deep.equal([`prevote r1 ${short(v)}`]);
    });

    it('a prevote quorum for another value in a later round than the lock unlocks it', () => {
      const f = lockedOnV();
      f.propose(2, 1, w);
      f.receive(...f.votes([1, 2, 3, 4], Prevote, 1, w));
      f.receive(...f.votes([1, 2, 3], Precommit, 1, null));
      f.timeout(1, 'precommit');
      expect(ownVotes(f.propose(3, 2, w, 1), 0)).to.deep.equal([`prevote r2 ${short(w)}`]);
    });

    it('re-proposes its valid value with its polRound when it becomes proposer', () => {
      const f = lockedOnV();
      let effects: ReturnType<typeof f.timeout> = [];
      for (const round of [1, 2, 3]) {
        f.receive(...f.votes([1, 2, 3], Prevote, round, null));
        f.receive(...f.votes([1, 2, 3], Precommit, round, null));
        effects = f.timeout(round, 'precommit');
      }
      expect(f.machine.state.round).to.equal(4); // (height 1 + round 4) mod 5 = member 0
      const proposals = effects.flatMap((e) => (e.kind === 'broadcast' && e.message.kind === 'proposal' ? [e.message] : []));
      expect(proposals.map((p) => [p.round, p.polRound, short(p.value)])).to.deep.equal([[4, 0, short(v)]]);
      expect(effects.some((e) => e.kind === 'buildProposal')).to.equal(false);
    });
  });

  it('moves to a higher round when n − k + 1 members are already there', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    f.receive(f.vote(2, Prevote, 5, null));
    expect(f.machine.state.round).to.equal(0);
    f.receive(f.vote(3, Prevote, 5, null));
    expect(f.machine.state.round).to.equal(5);
  });

  it('keeps conflicting votes of one member as evidence and emits it once', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const effects = f.receive(f.vote(3, Prevote, 0, v), f.vote(3, Prevote, 0, w), f.vote(3, Prevote, 0, w));
    expect(effects.filter((e) => e.kind === 'evidence')).to.have.length(1);
    expect(f.machine.evidence.size).to.equal(1);
  });

  it('keeps two different proposals of one proposer for one round as evidence, and keeps the first', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    f.propose(1, 0, v);
    const effects = f.receive(f.proposal(1, 0, w));
    expect(effects.map((e) => e.kind)).to.deep.equal(['evidence']);
    const commit = f.receive(...f.votes([1, 2, 3], Prevote, 0, v), ...f.votes([1, 2, 3], Precommit, 0, v)).find((e) => e.kind === 'commit');
    expect(commit?.kind === 'commit' && short(commit.value)).to.equal(short(v));
  });

  it('holds messages for the next height and uses them once it gets there', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const next = new MachineFixture(5, 4, 0, 2, f.machine);
    f.propose(1, 0, v);
    f.receive(...f.votes([1, 2, 3], Prevote, 0, v), ...f.votes([1, 2, 3], Precommit, 0, v));
    next.receive(next.proposal(2, 0, w));
    const effects = f.machine.handle({ kind: 'newHeight', height: 2 }).effects;
    expect(effects.some((e) => e.kind === 'validate' && short(e.value) === short(w))).to.equal(true);
  });

  it('refuses to go back to a height it has passed', () => {
    const f = new MachineFixture();
    expect(() => f.machine.handle({ kind: 'newHeight', height: 1 })).to.throw(/not above/);
  });
});
