import { VoteType } from '../../sidechain/vote.ts';
import { admitMessage, decodeMessage, type ConsensusConfig, type ConsensusMessage, type ProposalValue, type WalRecord } from '../consensus/index.ts';
import { messageHash } from '../consensus/messages.ts';
import { walSlot } from '../consensus/wal.ts';
import { hashKey } from '../consensus/vote-tally.ts';

/** A message a peer says this member signed, as the peer sent it: hex, not yet checked. */
export interface HeldMessage {
  heldBy: number;
  encoded: unknown;
}

/** A message of this member's, checked, that its consensus log lacks. */
export interface ForgottenMessage {
  heldBy: number;
  message: ConsensusMessage;
}

export interface Relearned {
  /** Every message a peer holds that this member signed at the height and its log lacks. */
  forgotten: ForgottenMessage[];
  /** The log records that bring those messages back, one per slot, in no particular order. */
  records: WalRecord[];
  /** Slots among the forgotten that cannot be written back (one message of each), and why. */
  unrecordable: { message: ConsensusMessage; reason: string }[];
}

/**
 * What this member signed at `height` according to its peers, as records for its consensus log.
 * A message counts only if it is this member's own at this height and its signature verifies
 * under this member's genesis key over this chain (so no peer can make one up); anything else a
 * peer sends is ignored. A proposal is signed over its block's hash only, so its bytes must be
 * that block (`isBlockOf`), or a peer could have the member replay a block it never proposed.
 * A slot the log already holds with another value, or that peers hold with two values, proves the
 * member signed twice already; it is not written, since the log keeps one record a slot.
 */
export function relearnVotes(
  consensus: ConsensusConfig,
  height: number,
  logged: readonly WalRecord[],
  held: readonly HeldMessage[],
  isBlockOf: (value: ProposalValue) => boolean,
): Relearned {
  const loggedHashes = loggedHashesAt(height, logged);
  const forgotten = forgottenAgainst(consensus, height, loggedHashes, held);
  const bySlot = new Map<string, ConsensusMessage[]>();
  for (const { message } of forgotten) bySlot.set(slotOf(message), [...(bySlot.get(slotOf(message)) ?? []), message]);
  const records: WalRecord[] = [];
  const unrecordable: Relearned['unrecordable'] = [];
  for (const [slot, messages] of bySlot) {
    const hashes = new Set(messages.map((message) => hashKey(messageHash(message))));
    if (loggedHashes.has(slot)) unrecordable.push({ message: messages[0]!, reason: 'the log holds another value for it' });
    else if (hashes.size > 1) unrecordable.push({ message: messages[0]!, reason: 'the other members hold two values for it' });
    else {
      const message = messages.find((candidate) => candidate.kind === 'vote' || isBlockOf(candidate.value));
      if (message) records.push(recordOf(message));
      else unrecordable.push({ message: messages[0]!, reason: 'its block is not the one whose hash it signed' });
    }
  }
  return { forgotten, records, unrecordable };
}

/** The messages peers hold that this member signed at `height` (checked as relearnVotes says) and its log lacks. */
export function forgottenAt(consensus: ConsensusConfig, height: number, logged: readonly WalRecord[], held: readonly HeldMessage[]): ForgottenMessage[] {
  return forgottenAgainst(consensus, height, loggedHashesAt(height, logged), held);
}

/** forgottenAt, against the hashes the log holds at `height` by slot (`loggedHashesAt`). */
function forgottenAgainst(consensus: ConsensusConfig, height: number, loggedHashes: ReadonlyMap<string, string>, held: readonly HeldMessage[]): ForgottenMessage[] {
  return held.flatMap(({ heldBy, encoded }) => {
    const message = ownMessage(consensus, height, encoded);
    if (!message || loggedHashes.get(slotOf(message)) === hashKey(messageHash(message))) return [];
    return [{ heldBy, message }];
  });
}

function loggedHashesAt(height: number, logged: readonly WalRecord[]): Map<string, string> {
  return new Map(logged.filter((record) => record.height === height).map((record) => [walSlot(record.round, record.step), hashKey(record.hash)]));
}

function slotOf(message: ConsensusMessage): string {
  return walSlot(message.round, stepOf(message));
}

function ownMessage(consensus: ConsensusConfig, height: number, encoded: unknown): ConsensusMessage | undefined {
  if (typeof encoded !== 'string' || !/^([0-9a-f]{2})+$/.test(encoded)) return undefined;
  let message: ConsensusMessage;
  try {
    message = decodeMessage(Buffer.from(encoded, 'hex'), consensus.maxValueBytes);
  } catch {
    return undefined;
  }
  if (message.memberIndex !== consensus.memberIndex || message.height !== height || !admitMessage(consensus, height, message).ok) return undefined;
  return message;
}

/** The step a message was signed at, in the log's terms. */
export function stepOf(message: ConsensusMessage): WalRecord['step'] {
  return message.kind === 'proposal' ? 'proposal' : voteStep(message.type);
}

function voteStep(type: VoteType): 'prevote' | 'precommit' {
  return type === VoteType.Prevote ? 'prevote' : 'precommit';
}

/** The record this member wrote before signing the message; signing it again gives the same bytes. */
function recordOf(message: ConsensusMessage): WalRecord {
  const { height, round } = message;
  if (message.kind === 'proposal') return { step: 'proposal', height, round, polRound: message.polRound, hash: message.value.hash, bytes: message.value.bytes };
  return { step: voteStep(message.type), height, round, hash: message.blockHash };
}
