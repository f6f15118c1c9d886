import { expect } from 'chai';
import { VoteType } from '../../sidechain/vote.ts';
import type { Effect } from '../../federation/consensus/events.ts';
import { encodeMessage, type ConsensusMessage } from '../../federation/consensus/messages.ts';
import { restoreFromWal } from '../../federation/consensus/restore.ts';
import { decodeWalRecord, durableStateFromWal, encodeWalRecord, type WalRecord } from '../../federation/consensus/wal.ts';
import { ConsensusSim, makeValue, memberConfig } from '../helpers/consensus-sim.ts';
import { MachineFixture, ownVotes, short } from '../helpers/consensus-fixture.ts';

const { Prevote, Precommit } = VoteType;
const v = makeValue('block v');
const w = makeValue('block w');

/** Runs effects like a driver that crashes right after its first durable write: nothing after it happens. */
function crashAfterFirstPersist(effects: Effect[]): WalRecord[] {
  const first = effects.find((effect) => effect.kind === 'persist');
  return first?.kind === 'persist' ? [first.record] : [];
}

function hex(message: ConsensusMessage): string {
  return Buffer.from(encodeMessage(message)).toString('hex');
}

function broadcasts(effects: Effect[]): ConsensusMessage[] {
  return effects.flatMap((effect) => (effect.kind === 'broadcast' ? [effect.message] : []));
}

/** Runs until every honest member holds `height` blocks, restarting each crashed member when its time comes. */
function runRestartingCrashed(sim: ConsensusSim, restartAt: Map<number, number>, height: number): void {
  while (sim.now < 300_000 && sim.minHeight() < height) {
    sim.run(sim.now + 100);
    for (const [index, at] of [...restartAt]) {
      if (sim.now < at) continue;
      restartAt.delete(index);
      sim.start(index);
    }
  }
}

/** No member sent two different messages of its own for one (height, round, step). */
function expectEachSlotSignedOnce(sim: ConsensusSim): void {
  for (const member of sim.members) {
    const bySlot = new Map<string, string>();
    for (const message of member.broadcasts.filter((m) => m.memberIndex === member.index)) {
      const slot = `${message.height}/${message.round}/${message.kind === 'vote' ? message.type : 'proposal'}`;
      const signed = message.kind === 'vote' ? String(message.blockHash && Buffer.from(message.blockHash).toString('hex')) : Buffer.from(message.value.hash).toString('hex');
      expect(bySlot.get(slot) ?? signed, `member ${member.index} slot ${slot}`).to.equal(signed);
      bySlot.set(slot, signed);
    }
  }
}

describe('consensus write-ahead log', () => {
  it('encodes every record kind canonically and decodes it back', () => {
    const records: WalRecord[] = [
      { step: 'proposal', height: 7, round: 2, polRound: 1, hash: v.hash, bytes: v.bytes },
      { step: 'proposal', height: 7, round: 0, polRound: -1, hash: w.hash, bytes: w.bytes },
      { step: 'proposal', height: 7, round: 1, polRound: 0, hash: w.hash, bytes: null },
      { step: 'prevote', height: 7, round: 2, hash: v.hash },
      { step: 'precommit', height: 7, round: 3, hash: null },
    ];
    for (const record of records) {
      const bytes = encodeWalRecord(record);
      expect(decodeWalRecord(bytes)).to.deep.equal(record);
      expect(() => decodeWalRecord(new Uint8Array([...bytes, 0]))).to.throw(/trailing/);
    }
  });

  it('refuses a log with two different records for one slot', () => {
    const records: WalRecord[] = [
      { step: 'prevote', height: 1, round: 0, hash: v.hash },
      { step: 'prevote', height: 1, round: 0, hash: w.hash },
    ];
    expect(() => durableStateFromWal(1, records)).to.throw(/two different records/);
  });

  it('keeps a proposal logged without its block and then with it as one signed slot holding the block, in either order', () => {
    const signedHash: WalRecord = { step: 'proposal', height: 1, round: 0, polRound: -1, hash: v.hash, bytes: null };
    const withBlock: WalRecord = { ...signedHash, bytes: v.bytes };
    for (const records of [[signedHash, withBlock], [withBlock, signedHash]]) {
      const state = durableStateFromWal(1, records)!;
      expect([...state.signed.values()]).to.deep.equal([withBlock]);
      expect(state).to.include({ round: 0, step: 'propose' });
    }
    expect([...durableStateFromWal(1, [signedHash])!.signed.values()]).to.deep.equal([signedHash]);
    expect(() => durableStateFromWal(1, [signedHash, { ...withBlock, hash: w.hash, bytes: w.bytes }])).to.throw(/two different records/);
  });

  it('restores the valid value from its own proposal only when the log holds its block', () => {
    const records = (bytes: Uint8Array | null): WalRecord[] => [
      { step: 'proposal', height: 1, round: 0, polRound: -1, hash: v.hash, bytes },
      { step: 'prevote', height: 1, round: 0, hash: v.hash },
      { step: 'precommit', height: 1, round: 0, hash: v.hash },
    ];
    expect(durableStateFromWal(1, records(v.bytes))!.valid).to.deep.equal({ round: 0, value: v });
    const withoutBlock = durableStateFromWal(1, records(null))!;
    expect(withoutBlock.valid).to.equal(null);
    expect(withoutBlock.locked).to.deep.equal({ round: 0, hash: Buffer.from(v.hash).toString('hex') });
  });

  it('ignores records of heights other than the one being resumed', () => {
    expect(durableStateFromWal(2, [{ step: 'precommit', height: 1, round: 0, hash: v.hash }])).to.equal(null);
  });

  it('a member that crashed after persisting its prevote but before sending it re-sends the same prevote on restart, and never a conflicting one', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const effects = f.propose(1, 0, v);
    const lost = broadcasts(effects).find((m) => m.kind === 'vote' && m.memberIndex === 0)!;
    const records = crashAfterFirstPersist(effects);
    expect(records).to.have.length(1);

    const restarted = new MachineFixture(5, 4, 0, 1, restoreFromWal(memberConfig(5, 4, 0), 1, records));
    const resumed = restarted.machine.handle({ kind: 'start' }).effects;
    expect(broadcasts(resumed).map(hex)).to.deep.equal([hex(lost)]);
    expect(resumed.some((e) => e.kind === 'persist')).to.equal(false);

    // Everything that could tempt it to prevote again in round 0: its timeout, the proposal again.
    const later = [...restarted.timeout(0, 'propose'), ...restarted.propose(1, 0, v), ...restarted.machine.handle({ kind: 'regossip' }).effects];
    expect(later.some((e) => e.kind === 'persist')).to.equal(false);
    for (const message of broadcasts(later)) expect(hex(message)).to.equal(hex(lost));
  });

  it('a member that crashed after persisting its precommit keeps its lock after restart', () => {
    const f = new MachineFixture();
    f.machine.handle({ kind: 'start' });
    const records = crashAfterFirstPersist(f.propose(1, 0, v));
    records.push(...crashAfterFirstPersist(f.receive(...f.votes([1, 2, 3], Prevote, 0, v))));
    expect(records.map((r) => r.step)).to.deep.equal(['prevote', 'precommit']);

    const restarted = new MachineFixture(5, 4, 0, 1, restoreFromWal(memberConfig(5, 4, 0), 1, records));
    const resumed = restarted.machine.handle({ kind: 'start' }).effects;
    expect(ownVotes(resumed, 0)).to.deep.equal([`prevote r0 ${short(v)}`, `precommit r0 ${short(v)}`]);
    expect(restarted.machine.state).to.include({ round: 0, step: 'precommit', lockedRound: 0 });
    restarted.receive(...restarted.votes([1, 2, 3], Precommit, 0, null));
    restarted.timeout(0, 'precommit');
    expect(ownVotes(restarted.propose(2, 1, w), 0)).to.deep.equal(['prevote r1 nil']);
  });

  it('a proposer logs its proposal without the block before sending it, and the block only after', () => {
    const f = new MachineFixture(5, 4, 1);
    f.machine.handle({ kind: 'start' });
    const effects = f.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: v }).effects;
    const order = effects.flatMap((e) => (e.kind === 'persist' ? [`persist ${e.record.step}${e.record.step === 'proposal' ? ` ${e.record.bytes === null ? 'without' : 'with'} block` : ''}`] : e.kind === 'persistBlock' ? ['persistBlock'] : e.kind === 'broadcast' ? [`broadcast ${e.message.kind}`] : []));
    expect(order).to.deep.equal(['persist proposal without block', 'broadcast proposal', 'persistBlock', 'persist prevote', 'broadcast vote']);
    const logged = effects.flatMap((e) => (e.kind === 'persistBlock' ? [e.record] : []));
    expect(logged).to.deep.equal([{ step: 'proposal', height: 1, round: 0, polRound: -1, hash: v.hash, bytes: v.bytes }]);
  });

  it('a proposer that crashed after logging its proposal with its block re-sends the identical proposal, not a new value', () => {
    const f = new MachineFixture(5, 4, 1);
    f.machine.handle({ kind: 'start' });
    const effects = f.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: v }).effects;
    const lost = broadcasts(effects).find((m) => m.kind === 'proposal')!;
    const records = [...crashAfterFirstPersist(effects), ...effects.flatMap((e) => (e.kind === 'persistBlock' ? [e.record] : []))];

    const restarted = restoreFromWal(memberConfig(5, 4, 1), 1, records);
    const resumed = restarted.handle({ kind: 'start' }).effects;
    expect(resumed.some((e) => e.kind === 'buildProposal')).to.equal(false);
    expect(hex(broadcasts(resumed)[0]!)).to.equal(hex(lost));
    // Then it goes on as before the crash: it prevotes its own proposal, persisting that first.
    expect(resumed.filter((e) => e.kind === 'persist').map((e) => e.kind === 'persist' && e.record.step)).to.deep.equal(['prevote']);
    expect(ownVotes(resumed, 1)).to.deep.equal([`prevote r0 ${short(v)}`]);
  });

  it('a proposer that crashed after logging its proposal without the block sends no proposal at that round and proposes nothing else there, and votes as any member', () => {
    const f = new MachineFixture(5, 4, 1);
    f.machine.handle({ kind: 'start' });
    const records = crashAfterFirstPersist(f.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: v }).effects);
    expect(records).to.deep.equal([{ step: 'proposal', height: 1, round: 0, polRound: -1, hash: v.hash, bytes: null }]);

    const restarted = new MachineFixture(5, 4, 1, 1, restoreFromWal(memberConfig(5, 4, 1), 1, records));
    const resumed = restarted.machine.handle({ kind: 'start' }).effects;
    expect(resumed.filter((e) => e.kind === 'broadcast' || e.kind === 'persist' || e.kind === 'buildProposal')).to.deep.equal([]);
    expect(resumed.filter((e) => e.kind === 'scheduleTimeout').map((e) => e.kind === 'scheduleTimeout' && e.step)).to.deep.equal(['propose']);
    // A block built meanwhile and the regossip find the slot signed: nothing is proposed there.
    const tempted = [...restarted.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: w }).effects, ...restarted.machine.handle({ kind: 'regossip' }).effects];
    expect(tempted.filter((e) => e.kind === 'broadcast' || e.kind === 'persist' || e.kind === 'persistBlock')).to.deep.equal([]);

    // It votes as any member: nil on its timeout, and in round 1 for member 2's proposal.
    expect(ownVotes(restarted.timeout(0, 'propose'), 1)).to.deep.equal(['prevote r0 nil']);
    restarted.receive(...restarted.votes([0, 2, 3], Prevote, 0, null));
    restarted.receive(...restarted.votes([0, 2, 3], Precommit, 0, null));
    restarted.timeout(0, 'precommit');
    expect(ownVotes(restarted.propose(2, 1, w), 1)).to.deep.equal([`prevote r1 ${short(w)}`]);
  });

  it('a proposer that crashed after logging its proposal without the block prevotes that proposal when a peer relays it', () => {
    const f = new MachineFixture(5, 4, 1);
    f.machine.handle({ kind: 'start' });
    const records = crashAfterFirstPersist(f.machine.handle({ kind: 'proposalBuilt', height: 1, round: 0, value: v }).effects);
    const restarted = new MachineFixture(5, 4, 1, 1, restoreFromWal(memberConfig(5, 4, 1), 1, records));
    restarted.machine.handle({ kind: 'start' });
    expect(ownVotes(restarted.propose(1, 0, v), 1)).to.deep.equal([`prevote r0 ${short(v)}`]);
  });

  it('in a network, proposers crashing after logging their proposal without the block, before or after sending it, never sign two proposals for one round, and the chain agrees', () => {
    const sim = new ConsensusSim({ seed: 23, n: 5, k: 4, maxDelayMs: 50 });
    for (const member of sim.members) sim.start(member.index);
    const crashed: string[] = [];
    const restartAt = new Map<number, number>();
    const crashOnce = (index: number, record: WalRecord, when: string): boolean => {
      // Each height's round-0 proposer crashes once, alternately before and after sending.
      if (record.round !== 0 || (record.height % 2 === 0) !== (when === 'before sending') || crashed.some((entry) => entry.startsWith(`${record.height}/`))) return false;
      crashed.push(`${record.height}/${when}`);
      restartAt.set(index, sim.now + 400);
      return true;
    };
    for (const member of sim.members) {
      member.crashAfterPersist = (record) => record.step === 'proposal' && crashOnce(member.index, record, 'before sending');
      member.crashBeforeLoggingBlock = (record) => crashOnce(member.index, record, 'after sending');
    }
    runRestartingCrashed(sim, restartAt, 8);
    expect(crashed.filter((entry) => entry.endsWith('before sending'))).to.have.length.at.least(3);
    expect(crashed.filter((entry) => entry.endsWith('after sending'))).to.have.length.at.least(3);
    expect(sim.minHeight()).to.be.at.least(8);
    sim.checkAgreement();
    expectEachSlotSignedOnce(sim);
  });

  it('in a network, members crashing right after each durable write and restarting never sign two different messages for one slot, and the chain agrees', () => {
    const sim = new ConsensusSim({ seed: 11, n: 5, k: 4, maxDelayMs: 50 });
    for (const member of sim.members) sim.start(member.index);
    let crashes = 0;
    const restartAt = new Map<number, number>();
    for (const member of sim.members) {
      member.crashAfterPersist = (record) => {
        // Crash on some writes (deterministically chosen) until a budget is spent.
        if (crashes >= 12 || record.step === 'proposal' || (record.height + record.round + member.index) % 3 !== 0) return false;
        crashes++;
        restartAt.set(member.index, sim.now + 400);
        return true;
      };
    }
    runRestartingCrashed(sim, restartAt, 8);
    expect(crashes).to.be.greaterThan(3);
    expect(sim.minHeight()).to.be.at.least(8);
    sim.checkAgreement();
    expectEachSlotSignedOnce(sim);
  });
});
