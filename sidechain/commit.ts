import { Reader, Writer } from './encoding/index.ts';
import { SIGNATURE_LENGTH, verifySignature } from './ed25519.ts';
import { ValidationError } from './errors.ts';
import { VoteType, voteSignBytes } from './vote.ts';

/** A block is final when it carries one of these: ≥ k precommits of one round over its hash. */
export interface CommitCertificate {
  round: number;
  signatures: { memberIndex: number; signature: Uint8Array }[];
}

export interface MemberSet {
  /** Ed25519 block keys in genesis order. */
  keys: Uint8Array[];
  threshold: number;
}

export class FinalityError extends ValidationError {
  constructor(height: number, reason: string) {
    super('not-final', `block ${height} is not final: ${reason}`);
  }
}

/** Signatures are written in increasing member order, so one certificate has one encoding. */
export function encodeCommit(commit: CommitCertificate): Uint8Array {
  const sorted = [...commit.signatures].sort((a, b) => a.memberIndex - b.memberIndex);
  const writer = new Writer().u32(commit.round).varint(sorted.length);
  for (const { memberIndex, signature } of sorted) writer.u16(memberIndex).bytes(signature);
  return writer.finish();
}

export function decodeCommit(bytes: Uint8Array): CommitCertificate {
  const reader = new Reader(bytes, 'commit certificate');
  const round = reader.u32('round');
  const count = reader.varint('signature count', 1024);
  const signatures = [];
  for (let i = 0; i < count; i++) signatures.push({ memberIndex: reader.u16('member index'), signature: reader.bytes(SIGNATURE_LENGTH, 'signature') });
  reader.end();
  return { round, signatures };
}

/**
 * Checks that `commit` makes the block with this hash final: at least k distinct members of the
 * set, each with a valid precommit signature for this chain, height, round and hash.
 */
export function verifyCommit(chainId: Uint8Array, height: number, hash: Uint8Array, commit: CommitCertificate, members: MemberSet): void {
  const seen = new Set<number>();
  const signBytes = voteSignBytes(chainId, VoteType.Precommit, height, commit.round, hash);
  for (const { memberIndex, signature } of commit.signatures) {
    const key = members.keys[memberIndex];
    if (!key) throw new FinalityError(height, `signature from unknown member ${memberIndex}`);
    if (seen.has(memberIndex)) throw new FinalityError(height, `member ${memberIndex} signed twice`);
    if (!verifySignature(key, signBytes, signature)) throw new FinalityError(height, `invalid signature of member ${memberIndex}`);
    seen.add(memberIndex);
  }
  if (seen.size < members.threshold) throw new FinalityError(height, `${seen.size} signatures, ${members.threshold} required`);
}
