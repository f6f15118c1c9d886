import { signMessage, signVerified, verifySignature, SIGNATURE_LENGTH } from '../../sidechain/ed25519.ts';
import { Reader, Writer, DecodeError } from '../../sidechain/encoding/index.ts';
import { taggedHash } from '../../sidechain/hash.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';

export const HASH_LENGTH = 32;

/**
 * What consensus agrees on: a 32-byte hash plus opaque bytes. Whether the bytes are a valid
 * block with that hash is decided outside the machine (the `validate` effect).
 */
export interface ProposalValue {
  hash: Uint8Array;
  bytes: Uint8Array;
}

/** `polRound` is the round of the prevote quorum that justifies re-proposing a value, or -1. */
export interface Proposal {
  kind: 'proposal';
  height: number;
  round: number;
  polRound: number;
  value: ProposalValue;
  memberIndex: number;
  signature: Uint8Array;
}

/** `blockHash` null is a vote for nil. */
export interface Vote {
  kind: 'vote';
  type: VoteType;
  height: number;
  round: number;
  blockHash: Uint8Array | null;
  memberIndex: number;
  signature: Uint8Array;
}

export type ConsensusMessage = Proposal | Vote;

const MESSAGE_TAG = { proposal: 1, vote: 2 } as const;

/**
 * The 32-byte message a proposer signs. It binds chain, height, round, polRound and the value's
 * hash (not its bytes: the hash commits to them and the validator checks that). polRound is
 * written as polRound + 1 so that "none" (-1) is 0.
 */
export function proposalSignBytes(chainId: Uint8Array, height: number, round: number, polRound: number, blockHash: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`proposal height must be a non-negative integer, got ${height}`);
  if (!Number.isInteger(round) || round < 0 || round > 0xffffffff) throw new RangeError(`proposal round must be a uint32, got ${round}`);
  if (!Number.isInteger(polRound) || polRound < -1 || polRound >= round) throw new RangeError(`proposal polRound must be in [-1, round), got ${polRound}`);
  if (blockHash.length !== HASH_LENGTH) throw new RangeError(`proposal hash must be ${HASH_LENGTH} bytes`);
  const fields = new Writer().u64(BigInt(height)).u32(round).u32(polRound + 1).finish();
  return taggedHash('Strongbox/proposal', chainId, fields, blockHash);
}

export function messageSignBytes(chainId: Uint8Array, message: ConsensusMessage): Uint8Array {
  return message.kind === 'proposal'
    ? proposalSignBytes(chainId, message.height, message.round, message.polRound, message.value.hash)
    : voteSignBytes(chainId, message.type, message.height, message.round, message.blockHash);
}

// A message is signed over its fields and built once, as a literal: a spread followed by further
// properties leaves V8's fast path on Node 20, and makes signed messages of another shape than
// decoded ones.

export function signProposal(
  chainId: Uint8Array,
  seed: Uint8Array,
  fields: Omit<Proposal, 'kind' | 'signature'>,
): Proposal {
  const { height, round, polRound, value, memberIndex } = fields;
  const signature = signMessage(seed, proposalSignBytes(chainId, height, round, polRound, value.hash));
  return { kind: 'proposal', height, round, polRound, value, memberIndex, signature };
}

export function signVote(chainId: Uint8Array, seed: Uint8Array, fields: Omit<Vote, 'kind' | 'signature'>): Vote {
  const { type, height, round, blockHash, memberIndex } = fields;
  // Its precommit comes back to the member in the commit certificate it checks before storing the block.
  const signature = signVerified(seed, voteSignBytes(chainId, type, height, round, blockHash));
  return { kind: 'vote', type, height, round, blockHash, memberIndex, signature };
}

export function hasValidSignature(chainId: Uint8Array, publicKey: Uint8Array, message: ConsensusMessage): boolean {
  return verifySignature(publicKey, messageSignBytes(chainId, message), message.signature);
}

/** The hash a message is about, or null for a nil vote. */
export function messageHash(message: ConsensusMessage): Uint8Array | null {
  return message.kind === 'proposal' ? message.value.hash : message.blockHash;
}

export function encodeMessage(message: ConsensusMessage): Uint8Array {
  const writer = new Writer();
  if (message.kind === 'proposal') {
    writer.u8(MESSAGE_TAG.proposal).u64(BigInt(message.height)).u32(message.round).u32(message.polRound + 1);
    writer.bytes(message.value.hash).varint(message.memberIndex).bytes(message.signature).varBytes(message.value.bytes);
  } else {
    writer.u8(MESSAGE_TAG.vote).u8(message.type).u64(BigInt(message.height)).u32(message.round);
    if (message.blockHash === null) writer.u8(0);
    else writer.u8(1).bytes(message.blockHash);
    writer.varint(message.memberIndex).bytes(message.signature);
  }
  return writer.finish();
}

/** Decodes one message; any non-canonical or out-of-range form is a DecodeError. */
export function decodeMessage(bytes: Uint8Array, maxValueBytes: number): ConsensusMessage {
  const reader = new Reader(bytes, 'consensus message');
  const tag = reader.u8('kind');
  let message: ConsensusMessage;
  if (tag === MESSAGE_TAG.proposal) {
    const height = readHeight(reader);
    const round = reader.u32('round');
    const polRound = reader.u32('polRound') - 1;
    if (polRound >= round) throw new DecodeError('consensus message', `polRound ${polRound} is not below round ${round}`);
    const hash = reader.bytes(HASH_LENGTH, 'hash');
    const memberIndex = reader.varint('memberIndex');
    const signature = reader.bytes(SIGNATURE_LENGTH, 'signature');
    const valueBytes = reader.varBytes('value', maxValueBytes);
    message = { kind: 'proposal', height, round, polRound, value: { hash, bytes: valueBytes }, memberIndex, signature };
  } else if (tag === MESSAGE_TAG.vote) {
    const type = reader.u8('type');
    if (type !== VoteType.Prevote && type !== VoteType.Precommit) throw new DecodeError('consensus message', `unknown vote type ${type}`);
    const height = readHeight(reader);
    const round = reader.u32('round');
    const flag = reader.u8('hash flag');
    if (flag > 1) throw new DecodeError('consensus message', `hash flag must be 0 or 1, got ${flag}`);
    const blockHash = flag === 1 ? reader.bytes(HASH_LENGTH, 'hash') : null;
    const memberIndex = reader.varint('memberIndex');
    const signature = reader.bytes(SIGNATURE_LENGTH, 'signature');
    message = { kind: 'vote', type, height, round, blockHash, memberIndex, signature };
  } else {
    throw new DecodeError('consensus message', `unknown kind ${tag}`);
  }
  reader.end();
  return message;
}

function readHeight(reader: Reader): number {
  const height = reader.u64('height');
  if (height > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('consensus message', `height ${height} is too large`);
  return Number(height);
}
