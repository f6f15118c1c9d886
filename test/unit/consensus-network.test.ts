import { expect } from 'chai';
import fc from 'fast-check';
import { checkEvidence } from '../../federation/consensus/evidence.ts';
import { CHAIN_ID, ConsensusSim } from '../helpers/consensus-sim.ts';

function startAll(sim: ConsensusSim, except: number[] = []): void {
  for (const member of sim.members) if (!except.includes(member.index)) sim.start(member.index);
}

describe('consensus over a simulated network', () => {
  it('5 members with k = 4 decide the same value at every one of 30 heights', () => {
    const sim = new ConsensusSim({ seed: 1, n: 5, k: 4 });
    startAll(sim);
    sim.run(120_000, () => sim.minHeight() >= 30);
    expect(sim.minHeight()).to.be.at.least(30);
    sim.checkAgreement();
  });

  for (const [n, k] of [[3, 3], [4, 3], [5, 4], [6, 5], [7, 5]] as const) {
    it(`n = ${n}, k = ${k}: every member decides the same 5 heights, and one of n − k silent members does not stop it`, () => {
      const silent = Array.from({ length: n - k }, (_, i) => n - 1 - i);
      const sim = new ConsensusSim({ seed: n * 10 + k, n, k });
      startAll(sim, silent);
      const live = sim.members.map((m) => m.index).filter((i) => !silent.includes(i));
      sim.run(120_000, () => sim.minHeight(live) >= 5);
      expect(sim.minHeight(live)).to.be.at.least(5);
      sim.checkAgreement();
    });
  }

  it('one silent member out of 5 does not stop progress', () => {
    const sim = new ConsensusSim({ seed: 2, n: 5, k: 4 });
    startAll(sim, [3]);
    sim.run(120_000, () => sim.minHeight([0, 1, 2, 4]) >= 10);
    expect(sim.minHeight([0, 1, 2, 4])).to.be.at.least(10);
    sim.checkAgreement();
  });

  it('a silent proposer makes the others move to the next round and decide there', () => {
    const sim = new ConsensusSim({ seed: 3, n: 5, k: 4 });
    startAll(sim, [1]); // proposer of height 1, round 0
    sim.run(60_000, () => sim.minHeight([0, 2, 3, 4]) >= 1);
    const decision = sim.members[0]!.blocks.get(1);
    expect(decision?.certificate.round).to.equal(1);
    sim.checkAgreement();
  });

  it('a member cut off from one peer fetches the heights that peer proposes and keeps every height in round 0', () => {
    // Member 0 never hears member 4, the proposer of heights 4, 9, 14…; members 1 to 4 decide
    // those without it, and member 0 must have the block before proposing heights 5, 10, 15….
    const sim = new ConsensusSim({ seed: 6, n: 5, k: 4, cutLinks: [[0, 4]] });
    startAll(sim);
    sim.run(120_000, () => sim.minHeight() >= 20);
    expect(sim.minHeight()).to.be.at.least(20);
    sim.checkAgreement();
    const rounds = [...sim.members[1]!.blocks].filter(([, decision]) => decision.certificate.round > 0).map(([height]) => height);
    expect(rounds, 'heights that needed a second round').to.deep.equal([]);
  });

  it('two silent members out of 5 halt the chain without any decision, and it resumes when one returns', () => {
    const sim = new ConsensusSim({ seed: 4, n: 5, k: 4 });
    startAll(sim, [3, 4]);
    sim.run(30_000);
    for (const member of sim.members) expect(member.blocks.size, `member ${member.index}`).to.equal(0);
    sim.start(3);
    sim.run(120_000, () => sim.minHeight([0, 1, 2, 3]) >= 3);
    expect(sim.minHeight([0, 1, 2, 3])).to.be.at.least(3);
    sim.checkAgreement();
  });

  it('decides despite reordering, duplication, loss and delays up to a propose timeout', () => {
    const sim = new ConsensusSim({ seed: 5, n: 5, k: 4, maxDelayMs: 300, duplicateProbability: 0.3, dropProbability: 0.1 });
    startAll(sim);
    sim.run(600_000, () => sim.minHeight() >= 10);
    expect(sim.minHeight()).to.be.at.least(10);
    sim.checkAgreement();
  });

  it('an invalid proposal is never decided: members prevote nil and the next round decides a valid value', () => {
    const sim = new ConsensusSim({ seed: 6, n: 5, k: 4, buildsInvalid: (height, round) => height === 1 && round === 0 });
    startAll(sim);
    sim.run(60_000, () => sim.minHeight() >= 2);
    expect(sim.minHeight()).to.be.at.least(2);
    sim.checkAgreement();
    const decision = sim.members[0]!.blocks.get(1)!;
    expect(decision.certificate.round).to.equal(1);
    expect(Buffer.from(decision.value.bytes).toString()).to.match(/^block /);
  });

  it('a proposer that only ever builds invalid values stops nothing but its own rounds', () => {
    const sim = new ConsensusSim({ seed: 8, n: 5, k: 4, buildsInvalid: (height, round) => (height + round) % 5 === 2 });
    startAll(sim);
    sim.run(120_000, () => sim.minHeight() >= 8);
    expect(sim.minHeight()).to.be.at.least(8);
    sim.checkAgreement();
    for (const decision of sim.members[0]!.blocks.values()) expect(Buffer.from(decision.value.bytes).toString()).to.match(/^block /);
  });

  it('a Byzantine member sending conflicting proposals and votes causes no fork, progress continues and evidence is recorded', () => {
    const sim = new ConsensusSim({ seed: 7, n: 5, k: 4, byzantine: [1] });
    startAll(sim);
    sim.run(300_000, () => sim.minHeight() >= 10);
    expect(sim.minHeight()).to.be.at.least(10);
    sim.checkAgreement();
    const evidence = sim.honest.flatMap((member) => member.evidence);
    expect(evidence.length).to.be.greaterThan(0);
    for (const item of evidence) {
      expect(item.first.memberIndex).to.equal(1);
      expect(() => checkEvidence(CHAIN_ID, sim.members[0]!.config.members, item)).not.to.throw();
    }
  });

  it('no two honest members ever decide differently with up to 2k − n − 1 equivocating members, under random delays (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom([1], [2], [0, 3], [1, 4]),
        fc.integer({ min: 5, max: 400 }),
        (seed, byzantine, maxDelayMs) => {
          const sim = new ConsensusSim({ seed, n: 5, k: 4, byzantine: [...byzantine], maxDelayMs, duplicateProbability: 0.1 });
          startAll(sim);
          sim.run(20_000, () => sim.minHeight() >= 3);
          sim.checkAgreement();
        },
      ),
      { numRuns: 40, seed: 42 },
    );
  });
});
