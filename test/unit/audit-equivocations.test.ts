import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { decodeEvidence, encodeEvidence, signProposal, signVote, type Evidence, type Vote } from '../../federation/consensus/index.ts';
import { equivocationsHeld, type EvidenceSource } from '../../federation/audit/equivocations.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { testFederation } from '../helpers/genesis.ts';

const federation = testFederation(5);
const { chainId } = federation.genesis;
const hash = () => new Uint8Array(randomBytes(32));

/** Two votes of one slot for different blocks, signed with `signer`'s key and claimed for `memberIndex`. */
function doubleVote(memberIndex: number, height: number, type: VoteType = VoteType.Prevote, signer = memberIndex): { kind: 'conflicting-votes'; first: Vote; second: Vote } {
  const vote = () => signVote(chainId, federation.keys[signer]!.blockSeed, { type, height, round: 1, blockHash: hash(), memberIndex }) as Vote;
  return { kind: 'conflicting-votes', first: vote(), second: vote() };
}

const served = (description: string, evidence: Evidence[]): EvidenceSource => ({
  description,
  evidence: async () => ({ evidence: evidence.map((item) => ({ kind: item.kind, memberIndex: item.first.memberIndex, height: item.first.height, messages: Buffer.from(encodeEvidence(item)).toString('hex') })) }),
});

describe('equivocation evidence in an audit', () => {
  it('decodes the evidence a member stores back to both signed messages, and refuses a proposal paired with a vote', () => {
    const evidence = doubleVote(2, 7);
    expect(decodeEvidence(encodeEvidence(evidence), 1_000)).to.deep.equal(evidence);
    const proposal = signProposal(chainId, federation.keys[2]!.blockSeed, { height: 7, round: 1, polRound: -1, value: { hash: hash(), bytes: new Uint8Array(10) }, memberIndex: 2 });
    const mixed = encodeEvidence({ kind: 'conflicting-votes', first: evidence.first, second: proposal as unknown as Vote });
    expect(() => decodeEvidence(mixed, 1_000)).to.throw(DecodeError, 'a proposal and a vote are no conflict');
  });

  it('reports each double signature once with every member holding its proof, and counts as unproven what a member claims without the accused key', async () => {
    const prevote = doubleVote(4, 12);
    const precommit = doubleVote(4, 13, VoteType.Precommit);
    // Member 1 signs two votes and claims them for member 3: the proof does not hold against member 3.
    const forged = doubleVote(3, 12, VoteType.Prevote, 1);
    const { proven, unproven } = await equivocationsHeld(federation.genesis, [
      served('member a', [prevote, precommit]),
      served('member b', [prevote, forged]),
      { description: 'member c', evidence: () => Promise.reject(new Error('unreachable')) },
      { description: 'member d', evidence: async () => ({ evidence: 'not a list' }) },
    ]);
    expect(proven).to.deep.equal([
      { member: 4, name: 'member-4', step: 'prevote', height: 12, round: 1, heldBy: ['member a', 'member b'] },
      { member: 4, name: 'member-4', step: 'precommit', height: 13, round: 1, heldBy: ['member a'] },
    ]);
    expect(unproven).to.deep.equal([{ source: 'member b', count: 1 }]);
  });

  it('counts as unproven two copies of one vote, and evidence that is not an encoding of two messages', async () => {
    const once = doubleVote(0, 5);
    const same: Evidence = { kind: 'conflicting-votes', first: once.first, second: once.first };
    const { proven, unproven } = await equivocationsHeld(federation.genesis, [
      served('member a', [same]),
      { description: 'member b', evidence: async () => ({ evidence: [{ messages: 'ab' }] }) },
    ]);
    expect(proven).to.deep.equal([]);
    expect(unproven).to.deep.equal([
      { source: 'member a', count: 1 },
      { source: 'member b', count: 1 },
    ]);
  });
});
