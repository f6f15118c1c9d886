import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { sha256 } from '../../sidechain/hash.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { encodeMessage, signProposal, signVote, type ConsensusMessage } from '../../federation/consensus/messages.ts';
import { restoreFromWal } from '../../federation/consensus/restore.ts';
import type { WalRecord } from '../../federation/consensus/wal.ts';
import { relearnVotes, stepOf, type HeldMessage } from '../../federation/member/relearn-votes.ts';
import { isValidValue, makeValue, memberConfig, memberSeed } from '../helpers/consensus-sim.ts';
import { MachineFixture, ownVotes } from '../helpers/consensus-fixture.ts';

interface HeldSpec {
  heldBy: number;
  encoded?: unknown;
  signer?: number;
  member?: number;
  chain?: 'this' | 'other';
  height?: number;
  round?: number;
  step?: WalRecord['step'];
  value?: 'v' | 'w' | 'nil';
  bytes?: string;
  forge?: 'signature' | 'value';
}

interface Fixture {
  member: number;
  height: number;
  cases: {
    description: string;
    logged: { round: number; step: WalRecord['step']; value: 'v' | 'w' | 'nil' }[];
    held: HeldSpec[];
    records: string[];
    forgotten: number;
    unrecordable: string[];
  }[];
}

const fixture = JSON.parse(readFileSync('test/fixtures/relearn-votes.json', 'utf8')) as Fixture;
const consensus = memberConfig(5, 4, fixture.member);
const OTHER_CHAIN = sha256(new TextEncoder().encode('another chain'));
const values = { v: makeValue('block v'), w: makeValue('block w') };

function hashOf(name: 'v' | 'w' | 'nil'): Uint8Array | null {
  return name === 'nil' ? null : values[name].hash;
}

function nameOf(hash: Uint8Array | null): string {
  if (hash === null) return 'nil';
  return Object.entries(values).find(([, value]) => Buffer.from(value.hash).equals(hash))![0];
}

function signed(spec: Required<Pick<HeldSpec, 'signer' | 'member' | 'chain' | 'height' | 'round' | 'step' | 'value'>> & HeldSpec): ConsensusMessage {
  const chainId = spec.chain === 'this' ? consensus.chainId : OTHER_CHAIN;
  const seed = memberSeed(spec.signer);
  const { height, round, member: memberIndex } = spec;
  if (spec.step === 'proposal') {
    const value = values[spec.value as 'v' | 'w'];
    const proposal = signProposal(chainId, seed, { height, round, polRound: -1, value, memberIndex });
    return spec.bytes === undefined ? proposal : { ...proposal, value: { hash: value.hash, bytes: new TextEncoder().encode(spec.bytes) } };
  }
  const type = spec.step === 'prevote' ? VoteType.Prevote : VoteType.Precommit;
  return signVote(chainId, seed, { type, height, round, blockHash: hashOf(spec.value), memberIndex });
}

function forged(message: ConsensusMessage, how: HeldSpec['forge']): ConsensusMessage {
  if (how === 'signature') return { ...message, signature: message.signature.map((byte, i) => (i === 0 ? byte ^ 1 : byte)) };
  if (how === 'value' && message.kind === 'vote') return { ...message, blockHash: values.w.hash };
  return message;
}

function held(spec: HeldSpec): HeldMessage {
  if ('encoded' in spec) return { heldBy: spec.heldBy, encoded: spec.encoded };
  const message = forged(signed(spec as Parameters<typeof signed>[0]), spec.forge);
  return { heldBy: spec.heldBy, encoded: Buffer.from(encodeMessage(message)).toString('hex') };
}

function logged(entry: Fixture['cases'][number]['logged'][number]): WalRecord {
  const { round, step } = entry;
  if (step === 'proposal') {
    const { hash, bytes } = values[entry.value as 'v' | 'w'];
    return { step, height: fixture.height, round, polRound: -1, hash, bytes };
  }
  return { step, height: fixture.height, round, hash: hashOf(entry.value) };
}

function describeRecord(record: WalRecord): string {
  return `${record.round}/${record.step} ${nameOf(record.hash)}`;
}

describe('taking back what a member signed from what its peers hold', () => {
  for (const entry of fixture.cases) {
    it(entry.description, () => {
      const result = relearnVotes(consensus, fixture.height, entry.logged.map(logged), entry.held.map(held), isValidValue);
      expect(result.records.map(describeRecord).sort()).to.deep.equal([...entry.records].sort());
      expect(result.unrecordable.map(({ message, reason }) => `${message.round}/${stepOf(message)}: ${reason}`)).to.deep.equal(entry.unrecordable);
      // A proposal written back carries the block it was signed over, so the member can send it again.
      for (const record of result.records) if (record.step === 'proposal') expect(record.bytes !== null && isValidValue({ hash: record.hash, bytes: record.bytes })).to.equal(true);
      expect(result.forgotten.length).to.equal(entry.forgotten);
    });
  }
});

describe('a consensus machine restored from what it took back', () => {
  const votes = [
    { heldBy: 0, signer: 2, member: 2, chain: 'this', height: 7, round: 1, step: 'prevote', value: 'v' },
    { heldBy: 0, signer: 2, member: 2, chain: 'this', height: 7, round: 1, step: 'precommit', value: 'v' },
  ] as const;

  it('resumes the round and step of its latest signature, sends the very same messages again, and keeps its lock', () => {
    const taken = votes.map((spec) => held(spec));
    const { records } = relearnVotes(consensus, fixture.height, [], taken, isValidValue);
    const restored = new MachineFixture(5, 4, fixture.member, fixture.height, restoreFromWal(consensus, fixture.height, records));
    expect(restored.machine.state).to.deep.include({ round: 1, step: 'precommit', lockedRound: 1, lockedHash: Buffer.from(values.v.hash).toString('hex') });
    const resent = restored.machine.handle({ kind: 'start' }).effects.flatMap((effect) => (effect.kind === 'broadcast' ? [Buffer.from(encodeMessage(effect.message)).toString('hex')] : []));
    expect(resent.sort()).to.deep.equal(taken.map((message) => message.encoded).sort());
  });

  it('signs nothing conflicting: locked by the precommit it took back, it prevotes nil on another value in the next round', () => {
    const { records } = relearnVotes(consensus, fixture.height, [], votes.map((spec) => held(spec)), isValidValue);
    const restored = new MachineFixture(5, 4, fixture.member, fixture.height, restoreFromWal(consensus, fixture.height, records));
    restored.machine.handle({ kind: 'start' });
    // Round 1's precommit timeout moves it on; round 2 is member 4's to propose (height 7 + round 2, of 5).
    const effects = [...restored.timeout(1, 'precommit'), ...restored.propose(4, 2, values.w)];
    expect(ownVotes(effects, fixture.member)).to.deep.equal(['prevote r2 nil']);
    expect(effects.filter((effect) => effect.kind === 'persist')).to.have.length(1);
  });
});
