import { Reader, Writer, DecodeError } from './encoding/index.ts';
import { SIGNATURE_LENGTH, verifySignature } from './ed25519.ts';
import { ValidationError } from './errors.ts';
import { blockHash, type BlockHeader } from './block-header.ts';
import { sameBytes } from './bytes.ts';
import { MAX_MEMBERS, type Genesis, type MemberSet } from './genesis.ts';
import { VoteType, voteSignBytes } from './vote.ts';

/** What a finality check needs from the genesis; every `Genesis` is one. */
export type ChainIdentity = Pick<Genesis, 'chainId' | 'members' | 'memberSetHash'>;

/** A block is final when it carries one of these: ≥ k precommits of one round over its hash. */
export interface CommitCertificate {
  round: number;
  signatures: { memberIndex: number; signature: Uint8Array }[];
}

/** Why a certificate does not make a block final; stable, so callers and tests can branch on it. */
export type FinalityReason = 'wrong-chain' | 'wrong-member-set' | 'unknown-member' | 'duplicate-member' | 'bad-signature' | 'below-threshold';

export class FinalityError extends ValidationError {
  constructor(
    readonly height: number,
    readonly reason: FinalityReason,
    detail: string,
  ) {
    super('not-final', `block ${height} is not final: ${detail}`);
  }
}

/** Signatures are written in increasing member order, so one certificate has one encoding. */
export function encodeCommit(commit: CommitCertificate): Uint8Array {
  const sorted = [...commit.signatures].sort((a, b) => a.memberIndex - b.memberIndex);
  const writer = new Writer().u32(commit.round).varint(sorted.length);
  for (const { memberIndex, signature } of sorted) {
    if (signature.length !== SIGNATURE_LENGTH) throw new TypeError(`signature of member ${memberIndex} must be ${SIGNATURE_LENGTH} bytes, got ${signature.length}`);
    writer.u16(memberIndex).bytes(signature);
  }
  return writer.finish();
}

/** Refuses any order but strictly increasing member indexes: that is the one canonical form. */
export function decodeCommit(bytes: Uint8Array): CommitCertificate {
  const reader = new Reader(bytes, 'commit certificate');
  const round = reader.u32('round');
  const count = reader.varint('signature count', MAX_MEMBERS);
  const signatures = [];
  for (let i = 0; i < count; i++) {
    const memberIndex = reader.u16('member index');
    const previous = signatures[i - 1];
    if (previous && memberIndex <= previous.memberIndex) throw new DecodeError('commit certificate', `member index ${memberIndex} does not follow ${previous.memberIndex}`);
    signatures.push({ memberIndex, signature: reader.bytes(SIGNATURE_LENGTH, 'signature') });
  }
  reader.end();
  return { round, signatures };
}

/**
 * Checks that `commit` makes a block final, or throws a FinalityError naming the first problem.
 *
 * `verifyCommit(header, commit, chain)` is the full check: the header must name the chain and
 * its member set (signatures alone would not catch a header of a sister chain run by the same
 * keys), then ≥ k distinct members of the set must have signed a precommit for the header's
 * chain, height, the certificate's round and the header's hash.
 *
 * `verifyCommit(chainId, height, hash, commit, members)` checks the signatures alone, for a
 * member that holds a block hash before it has decoded the block (consensus, catch-up).
 */
export function verifyCommit(header: BlockHeader, commit: CommitCertificate, chain: ChainIdentity): void;
export function verifyCommit(chainId: Uint8Array, height: number, hash: Uint8Array, commit: CommitCertificate, members: MemberSet): void;
export function verifyCommit(...args: [BlockHeader, CommitCertificate, ChainIdentity] | [Uint8Array, number, Uint8Array, CommitCertificate, MemberSet]): void {
  if (args.length === 5) return verifySignatures(...args);
  const [header, commit, chain] = args;
  if (!sameBytes(header.chainId, chain.chainId)) {
    throw new FinalityError(header.height, 'wrong-chain', `the header names another chain: ${Buffer.from(header.chainId).toString('hex')}, not ${Buffer.from(chain.chainId).toString('hex')} of the genesis`);
  }
  if (!sameBytes(header.memberSetHash, chain.memberSetHash)) throw new FinalityError(header.height, 'wrong-member-set', 'the header names another member set');
  verifySignatures(header.chainId, header.height, blockHash(header), commit, chain.members);
}

function verifySignatures(chainId: Uint8Array, height: number, hash: Uint8Array, commit: CommitCertificate, members: MemberSet): void {
  const seen = new Set<number>();
  const signBytes = voteSignBytes(chainId, VoteType.Precommit, height, commit.round, hash);
  for (const { memberIndex, signature } of commit.signatures) {
    const key = members.keys[memberIndex];
    if (!key) throw new FinalityError(height, 'unknown-member', `signature from unknown member ${memberIndex}`);
    if (seen.has(memberIndex)) throw new FinalityError(height, 'duplicate-member', `member ${memberIndex} signed twice`);
    if (!verifySignature(key, signBytes, signature)) throw new FinalityError(height, 'bad-signature', `invalid signature of member ${memberIndex}`);
    seen.add(memberIndex);
  }
  if (seen.size < members.threshold) throw new FinalityError(height, 'below-threshold', `${seen.size} signatures, ${members.threshold} required`);
}
