import { expect } from 'chai';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, signProposal, signVote, type ConsensusMessage } from '../../federation/consensus/messages.ts';
import { ConsensusMachine } from '../../federation/consensus/machine.ts';
import type { Effect } from '../../federation/consensus/events.ts';
import { createSecretKey } from 'node:crypto';
import { BROADCAST, decodeFrame, FRAME_VERSION, sealFrame, SESSION_NONCE_LENGTH, tagFrame } from '../../federation/transport/frame.ts';
import { decodeHello, decodeProof, decodeWelcome, encodeHello, encodeProof, encodeWelcome } from '../../federation/transport/handshake.ts';
import { admitFrame, type InboundRules } from '../../federation/transport/inbound.ts';
import { MAC_LENGTH } from '../../federation/transport/link-keys.ts';
import { decodeTransactionBatch, encodeTransactionBatch } from '../../federation/member/transaction-relay.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { fromHex, readVectors, toHex } from '../helpers/block-vectors.ts';
import { CHAIN_ID, memberConfig, memberSeed } from '../helpers/consensus-sim.ts';
import { acceptOrRefuse, expectCanonicalOrRefused, fuzz, fuzzRuns, hostileBytes } from '../helpers/fuzz.ts';

const RUNS = fuzzRuns(10_000);
const MAX_VALUE_BYTES = 4096;
const N = 5;
const K = 4;

const vectorMessages = readVectors<{ valid: { encoded: string }[] }>('consensus-messages.json').valid.map((v) => fromHex(v.encoded));

/** Any message a Byzantine member 1 could sign with its real key: arbitrary heights, rounds, hashes, senders. */
const signedByMemberOne: fc.Arbitrary<ConsensusMessage> = fc
  .record({
    height: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.nat()),
    round: fc.oneof(fc.nat(3), fc.constant(0xffffffff)),
    claims: fc.oneof({ arbitrary: fc.constant(1), weight: 4 }, { arbitrary: fc.nat(N + 1), weight: 1 }),
    hash: fc.oneof(fc.constant(null), fc.constantFrom(...[1, 2].map((n) => new Uint8Array(32).fill(n))), fc.uint8Array({ minLength: 32, maxLength: 32 })),
    value: fc.uint8Array({ maxLength: 64 }),
    vote: fc.constantFrom<VoteType | 'proposal'>(VoteType.Prevote, VoteType.Precommit, 'proposal'),
  })
  .map(({ height, round, claims, hash, value, vote }) => {
    const blockHash = hash ?? new Uint8Array(32);
    if (vote === 'proposal') return signProposal(CHAIN_ID, memberSeed(1), { height, round, polRound: round > 0 ? round - 1 : -1, value: { hash: blockHash, bytes: value }, memberIndex: claims });
    return signVote(CHAIN_ID, memberSeed(1), { type: vote, height, round, blockHash: hash, memberIndex: claims });
  });

describe(`fuzzing peer messages (${RUNS} cases each)`, function () {
  this.timeout(600_000);

  it('a consensus message decodes to its one canonical encoding or is refused with a DecodeError', () => {
    const valid = [...vectorMessages, ...fc.sample(signedByMemberOne, 20).map(encodeMessage)];
    fuzz(hostileBytes(valid), RUNS, (bytes) => expectCanonicalOrRefused(bytes, (b) => decodeMessage(b, MAX_VALUE_BYTES), encodeMessage, DecodeError));
  });

  it('a consensus machine fed any messages one Byzantine member signs never throws and never commits', () => {
    // Sequences of one to ten messages: about RUNS messages in all.
    const runs = Math.max(1, Math.ceil(RUNS / 5));
    fuzz(fc.array(fc.oneof(signedByMemberOne, hostileBytes(vectorMessages)), { minLength: 1, maxLength: 10 }), runs, (inputs) => {
      const machine = new ConsensusMachine(memberConfig(N, K, 0), 1);
      const effects: Effect[] = [...machine.handle({ kind: 'start' }).effects];
      for (const input of inputs) {
        const message = input instanceof Uint8Array ? acceptOrRefuse(() => decodeMessage(input, MAX_VALUE_BYTES), DecodeError) : input;
        if (message) effects.push(...machine.handle({ kind: 'message', message }).effects);
        // The driver answers validation requests; accept every proposal the Byzantine member makes.
        for (const effect of effects.splice(0)) {
          expect(effect.kind).to.not.equal('commit');
          if (effect.kind === 'validate') effects.push(...machine.handle({ kind: 'validated', height: effect.height, hash: effect.value.hash, ok: true }).effects);
        }
      }
      // Two members (itself and the Byzantine one) are below k = 4: nothing can be decided.
      expect(machine.state.height).to.equal(1);
    });
  });

  it('a batch of relayed transactions decodes to its one canonical encoding or is refused with a DecodeError', () => {
    const transactions = readVectors<{ valid: { hex: string }[] }>('transaction.json').valid.map((v) => fromHex(v.hex));
    const batches = [encodeTransactionBatch(transactions.slice(0, 1)), encodeTransactionBatch(transactions.slice(0, 3)), encodeTransactionBatch([new Uint8Array(0)])];
    fuzz(hostileBytes(batches), RUNS, (bytes) => expectCanonicalOrRefused(bytes, decodeTransactionBatch, encodeTransactionBatch, DecodeError));
  });

  describe('transport frames and handshake', () => {
    // The key member 1 seals with on its link to member 2, as their handshake would have agreed.
    const linkKey = createSecretKey(new Uint8Array(32).fill(9));
    const rules: InboundRules = { chainId: CHAIN_ID, memberIndex: 2, memberCount: 3, maxMessageBytes: 256, maxClockSkewMs: 30_000 };
    const nonce = new Uint8Array(SESSION_NONCE_LENGTH).fill(7);
    const now = 1_700_000_000_000;
    const frames = [2, BROADCAST, 1].map((recipient, i) =>
      tagFrame(sealFrame({ chainId: CHAIN_ID, sender: 1, recipient, sessionNonce: nonce, sequence: BigInt(i + 5), timestampMs: BigInt(now), payload: new TextEncoder().encode(`payload ${i}`) }), linkKey),
    );

    it('a frame decodes canonically or is refused, and admission drops it with a reason unless it is a genuine frame', () => {
      const genuine = new Set(frames.map(toHex));
      fuzz(hostileBytes(frames), RUNS, (bytes) => {
        const frame = acceptOrRefuse(() => decodeFrame(bytes, rules.maxMessageBytes), DecodeError);
        // The version is read, not judged, by the decoder: admission reports it as unsupported-version.
        if (frame?.version === FRAME_VERSION) expect(toHex(tagFrame(sealFrame(frame), linkKey).subarray(0, -MAC_LENGTH))).to.equal(toHex(bytes.subarray(0, -MAC_LENGTH)));
        const session = { peer: 1, nonce, lastSequence: 0n };
        const verdict = admitFrame(rules, session, linkKey, bytes, now);
        if ('frame' in verdict) {
          expect(genuine.has(toHex(bytes))).to.equal(true);
          expect(session.lastSequence).to.equal(verdict.frame.sequence);
        } else expect(session.lastSequence).to.equal(0n);
      });
    });

    it('hello, welcome and proof decode canonically or are refused', () => {
      const hello = encodeHello({ chainId: CHAIN_ID, dialer: 0, acceptor: 2, nonce, challenge: new Uint8Array(32).fill(3), ephemeralKey: new Uint8Array(32).fill(8) });
      const welcome = encodeWelcome({ nonce, challenge: new Uint8Array(32).fill(4), ephemeralKey: new Uint8Array(32).fill(9), signature: new Uint8Array(64).fill(5) });
      const proof = encodeProof(new Uint8Array(64).fill(6));
      fuzz(hostileBytes([hello, welcome, proof], 200), RUNS, (bytes) => {
        expectCanonicalOrRefused(bytes, decodeHello, encodeHello, DecodeError);
        expectCanonicalOrRefused(bytes, decodeWelcome, encodeWelcome, DecodeError);
        expectCanonicalOrRefused(bytes, decodeProof, encodeProof, DecodeError);
      });
    });
  });
});
