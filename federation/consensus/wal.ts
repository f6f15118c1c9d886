import { Reader, Writer, DecodeError } from '../../sidechain/encoding/index.ts';
import { VoteType } from '../../sidechain/vote.ts';
import type { ConsensusConfig, Step } from './config.ts';
import { HASH_LENGTH, signProposal, signVote, type ConsensusMessage, type ProposalValue } from './messages.ts';
import { hashKey } from './vote-tally.ts';

/**
 * What a member is about to sign, written before the signature leaves the process. Every record
 * keeps the hash it signs (null for a nil vote). A proposal is signed over its block's hash, so
 * its record is written first without the block (`bytes` null): the signed slot is durable at the
 * cost of a few bytes, and the block, up to 4 MB, is written after the proposal is sent. A
 * proposal record with its block lets a restarted proposer send the identical proposal again;
 * one without it only forbids proposing anything else at that round. Ed25519 signatures are
 * deterministic, so re-signing a record yields the very bytes that may already have been sent.
 */
export type WalRecord = ProposalRecord | VoteRecord;

export interface ProposalRecord {
  step: 'proposal';
  height: number;
  round: number;
  polRound: number;
  hash: Uint8Array;
  /** The block whose hash is signed; null while the log holds only the signature's slot. */
  bytes: Uint8Array | null;
}

export interface VoteRecord {
  step: 'prevote' | 'precommit';
  height: number;
  round: number;
  hash: Uint8Array | null;
}

/** A record whose message can be sent: a vote, or a proposal with its block. */
export type SendableRecord = VoteRecord | (ProposalRecord & { bytes: Uint8Array });

export function isSendable(record: WalRecord): record is SendableRecord {
  return record.step !== 'proposal' || record.bytes !== null;
}

const TAG = { proposal: 1, prevote: 2, precommit: 3, proposalWithoutBlock: 4 } as const;

export function walSlot(round: number, step: WalRecord['step']): string {
  return `${round}/${step}`;
}

/** The signed message of a record; deterministic, so a re-sent message is byte-identical. */
export function signRecord(config: ConsensusConfig, record: SendableRecord): ConsensusMessage {
  const { chainId, seed, memberIndex } = config;
  const { height, round } = record;
  if (record.step === 'proposal') {
    return signProposal(chainId, seed, { height, round, polRound: record.polRound, value: { hash: record.hash, bytes: record.bytes }, memberIndex });
  }
  const type = record.step === 'prevote' ? VoteType.Prevote : VoteType.Precommit;
  return signVote(chainId, seed, { type, height, round, blockHash: record.hash, memberIndex });
}

export function encodeWalRecord(record: WalRecord): Uint8Array {
  const tag = record.step === 'proposal' && record.bytes === null ? TAG.proposalWithoutBlock : TAG[record.step];
  const writer = new Writer().u8(tag).u64(BigInt(record.height)).u32(record.round);
  if (record.step === 'proposal') {
    writer.u32(record.polRound + 1).bytes(record.hash);
    if (record.bytes !== null) writer.varBytes(record.bytes);
  } else if (record.hash === null) {
    writer.u8(0);
  } else {
    writer.u8(1).bytes(record.hash);
  }
  return writer.finish();
}

export function decodeWalRecord(bytes: Uint8Array): WalRecord {
  const reader = new Reader(bytes, 'WAL record');
  const tag = reader.u8('step');
  const height = Number(reader.u64('height'));
  if (!Number.isSafeInteger(height)) throw new DecodeError('WAL record', 'height is too large');
  const round = reader.u32('round');
  let record: WalRecord;
  if (tag === TAG.proposal || tag === TAG.proposalWithoutBlock) {
    const polRound = reader.u32('polRound') - 1;
    if (polRound >= round) throw new DecodeError('WAL record', `polRound ${polRound} is not below round ${round}`);
    const hash = reader.bytes(HASH_LENGTH, 'hash');
    record = { step: 'proposal', height, round, polRound, hash, bytes: tag === TAG.proposal ? reader.varBytes('value', 0xffffffff) : null };
  } else if (tag === TAG.prevote || tag === TAG.precommit) {
    const flag = reader.u8('hash flag');
    if (flag > 1) throw new DecodeError('WAL record', `hash flag must be 0 or 1, got ${flag}`);
    const hash = flag === 1 ? reader.bytes(HASH_LENGTH, 'hash') : null;
    record = { step: tag === TAG.prevote ? 'prevote' : 'precommit', height, round, hash };
  } else {
    throw new DecodeError('WAL record', `unknown step ${tag}`);
  }
  reader.end();
  return record;
}

/** The part of the machine's state that must survive a crash. */
export interface DurableState {
  round: number;
  step: Step;
  locked: { round: number; hash: string } | null;
  valid: { round: number; value: ProposalValue } | null;
  /** This height's signed records by slot (round/step). */
  signed: Map<string, WalRecord>;
}

const STEP_ORDER: Record<WalRecord['step'], number> = { proposal: 0, prevote: 1, precommit: 2 };

/**
 * Rebuilds the durable state for `height` from the records (older heights are decided and
 * ignored). The member resumes in the latest round it signed in, at the step after its last
 * signature there, and keeps its lock: the lock is the latest non-nil precommit, because a
 * member locks exactly when it precommits a value. A proposal whose block the log lacks keeps its
 * slot signed, so nothing else is proposed there, but is not sent again. Two different records
 * for one slot mean the log was written by something other than this machine, and are refused.
 */
export function durableStateFromWal(height: number, records: WalRecord[]): DurableState | null {
  const signed = new Map<string, WalRecord>();
  let latest: WalRecord | null = null;
  let locked: DurableState['locked'] = null;
  for (const record of records) {
    if (record.height !== height) continue;
    const slot = walSlot(record.round, record.step);
    const existing = signed.get(slot);
    if (existing && hashKey(existing.hash) !== hashKey(record.hash)) {
      throw new DecodeError('WAL', `two different records for height ${height}, slot ${slot}`);
    }
    // A proposal is logged twice, without its block and then with it; the block is what is kept.
    if (!existing || !isSendable(existing)) signed.set(slot, record);
    if (!latest || record.round > latest.round || (record.round === latest.round && STEP_ORDER[record.step] > STEP_ORDER[latest.step])) latest = record;
    if (record.step === 'precommit' && record.hash !== null && (!locked || record.round > locked.round)) {
      locked = { round: record.round, hash: hashKey(record.hash) };
    }
  }
  if (!latest) return null;
  let valid: DurableState['valid'] = null;
  for (const record of signed.values()) {
    if (record.step === 'proposal' && record.bytes !== null && hashKey(record.hash) === locked?.hash) valid = { round: locked.round, value: { hash: record.hash, bytes: record.bytes } };
  }
  return { round: latest.round, step: latest.step === 'proposal' ? 'propose' : latest.step, locked, valid, signed };
}
