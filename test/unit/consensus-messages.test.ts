import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as noble from '@noble/ed25519';
import { publicKeyFromSeed } from '../../sidechain/ed25519.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { admitMessage } from '../../federation/consensus/admission.ts';
import { decodeMessage, encodeMessage, hasValidSignature, messageSignBytes, signProposal, signVote, type ConsensusMessage } from '../../federation/consensus/messages.ts';
import { makeValue, memberConfig } from '../helpers/consensus-sim.ts';
import { MachineFixture } from '../helpers/consensus-fixture.ts';

interface Vectors {
  chainId: string;
  valid: { description: string; signerSeed: string; message: Record<string, unknown>; signBytes: string; signature: string; encoded: string }[];
  invalid: { description: string; encoded: string; error: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/consensus-messages.json', import.meta.url), 'utf8')) as Vectors;
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

function fromJson(json: Record<string, unknown>, signature: Uint8Array): ConsensusMessage {
  const { kind, height, round, memberIndex } = json as { kind: string; height: number; round: number; memberIndex: number };
  if (kind === 'proposal') {
    return { kind, height, round, memberIndex, polRound: json.polRound as number, value: { hash: bytes(json.hash as string), bytes: bytes(json.value as string) }, signature };
  }
  const hash = json.hash as string | null;
  return { kind: 'vote', type: json.type as VoteType, height, round, memberIndex, blockHash: hash === null ? null : bytes(hash), signature };
}

describe('consensus messages', () => {
  const chainId = bytes(vectors.chainId);

  for (const vector of vectors.valid) {
    it(`vector "${vector.description}": encodes, decodes, and its signature verifies here and with @noble/ed25519`, async () => {
      const message = fromJson(vector.message, bytes(vector.signature));
      expect(Buffer.from(encodeMessage(message)).toString('hex')).to.equal(vector.encoded);
      expect(decodeMessage(bytes(vector.encoded), 1024)).to.deep.equal(message);
      expect(Buffer.from(messageSignBytes(chainId, message)).toString('hex')).to.equal(vector.signBytes);
      const publicKey = publicKeyFromSeed(bytes(vector.signerSeed));
      expect(hasValidSignature(chainId, publicKey, message)).to.equal(true);
      expect(await noble.verifyAsync(bytes(vector.signature), bytes(vector.signBytes), publicKey)).to.equal(true);
    });
  }

  for (const vector of vectors.valid) {
    it(`vector "${vector.description}": signed from its fields, is the very message its encoding decodes to, with the vector's signature`, async () => {
      const expected = fromJson(vector.message, bytes(vector.signature));
      const seed = bytes(vector.signerSeed);
      // Fields handed over with more than a message holds (a message of another round re-signed, say) sign only the message's own.
      const fields = { ...expected, signature: new Uint8Array(64), note: 'not part of a message' };
      const signed = expected.kind === 'proposal' ? signProposal(chainId, seed, fields as typeof expected) : signVote(chainId, seed, fields as typeof expected);
      expect(signed).to.deep.equal(decodeMessage(bytes(vector.encoded), 1024));
      expect(Object.keys(signed)).to.deep.equal(Object.keys(decodeMessage(bytes(vector.encoded), 1024)));
      expect(Buffer.from(signed.signature).toString('hex')).to.equal(vector.signature);
      expect(await noble.verifyAsync(signed.signature, messageSignBytes(chainId, signed), publicKeyFromSeed(seed))).to.equal(true);
    });
  }

  for (const vector of vectors.invalid) {
    it(`vector "${vector.description}": is refused with "${vector.error}"`, () => {
      expect(() => decodeMessage(bytes(vector.encoded), 1024)).to.throw(vector.error);
    });
  }

  it('refuses a proposal value above the size limit while decoding', () => {
    const proposal = vectors.valid.find((vector) => vector.message.kind === 'proposal')!;
    expect(() => decodeMessage(bytes(proposal.encoded), 4)).to.throw(/above the limit/);
  });

  describe('admission', () => {
    const config = memberConfig(5, 4, 0);
    const f = new MachineFixture();
    const v = makeValue('block v');
    const cases: [string, ConsensusMessage, string][] = [
      ['an unknown member', { ...f.vote(1, VoteType.Prevote, 0, v), memberIndex: 9 }, 'unknown-member'],
      ['a bad signature', { ...f.vote(1, VoteType.Prevote, 0, v), blockHash: makeValue('other').hash }, 'bad-signature'],
      ['another member’s signature', { ...f.vote(1, VoteType.Prevote, 0, v), memberIndex: 2 }, 'bad-signature'],
      ['a finished height', new MachineFixture(5, 4, 0, 0).vote(1, VoteType.Prevote, 0, v), 'stale-height'],
      ['a height beyond the next', new MachineFixture(5, 4, 0, 3).vote(1, VoteType.Prevote, 0, v), 'future-height'],
      ['a proposal from a member that is not the round’s proposer', f.proposal(2, 0, v), 'wrong-proposer'],
      ['an oversized proposal', f.proposal(1, 0, { hash: v.hash, bytes: new Uint8Array(config.maxValueBytes + 1) }), 'oversized'],
      ['a malformed hash', { ...f.vote(1, VoteType.Prevote, 0, v), blockHash: new Uint8Array(31) }, 'malformed'],
      ['a polRound not below its round', { ...f.proposal(1, 0, v), polRound: 0 }, 'malformed'],
    ];
    for (const [what, message, reason] of cases) {
      it(`drops ${what} as ${reason}, counts it, and changes nothing`, () => {
        expect(admitMessage(config, 1, message)).to.deep.equal({ ok: false, reason });
        const fixture = new MachineFixture();
        fixture.machine.handle({ kind: 'start' });
        const before = fixture.machine.state;
        const result = fixture.machine.handle({ kind: 'message', message });
        expect(result).to.deep.equal({ effects: [], dropped: reason });
        expect(fixture.machine.drops[reason as keyof typeof fixture.machine.drops]).to.equal(1);
        expect(fixture.machine.state).to.deep.equal(before);
      });
    }

    it('admits a correctly signed vote for the current and the next height', () => {
      expect(admitMessage(config, 1, f.vote(1, VoteType.Prevote, 0, v))).to.deep.equal({ ok: true });
      expect(admitMessage(config, 1, new MachineFixture(5, 4, 0, 2).vote(1, VoteType.Precommit, 3, null))).to.deep.equal({ ok: true });
    });

    it('drops votes of one member for more future rounds than it may hold, as round-flood', () => {
      const fixture = new MachineFixture();
      fixture.machine.handle({ kind: 'start' });
      for (const round of [5, 6]) expect(fixture.machine.handle({ kind: 'message', message: fixture.vote(2, VoteType.Prevote, round, null) }).dropped).to.equal(undefined);
      expect(fixture.machine.handle({ kind: 'message', message: fixture.vote(2, VoteType.Prevote, 7, null) }).dropped).to.equal('round-flood');
    });

    it('drops messages for the next height beyond the per-member buffer, as buffer-full', () => {
      const fixture = new MachineFixture();
      const next = new MachineFixture(5, 4, 0, 2);
      const results = [0, 1, 2].flatMap((round) => [VoteType.Prevote, VoteType.Precommit].map((type) => fixture.machine.handle({ kind: 'message', message: next.vote(2, type, round, null) }).dropped));
      expect(results).to.deep.equal([undefined, undefined, undefined, undefined, undefined, undefined]);
      expect(fixture.machine.handle({ kind: 'message', message: next.vote(2, VoteType.Prevote, 3, null) }).dropped).to.equal('buffer-full');
    });
  });
});
