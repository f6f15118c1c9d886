import type { Logger } from 'pino';
import { StrongboxError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { ConsensusConfig, ConsensusMessage, ProposalValue, WalRecord } from '../consensus/index.ts';
import type { MemberConfig } from '../config.ts';
import { askEachPeer, pollPeers } from './ask-peers.ts';
import { relearnVotes, stepOf, type HeldMessage, type Relearned } from './relearn-votes.ts';

/** The member's consensus log lacks messages it signed that its peers hold, and cannot take them back. */
export class ForgottenVotesError extends StrongboxError {
  constructor(message: string) {
    super('forgotten-votes', message);
  }
}

export interface VoteMemory {
  /** The height this member would vote at next: the one after its tip, once caught up. */
  nextHeight(): number;
  /** Its consensus log's records at a height. */
  walRecords(height: number): Promise<WalRecord[]>;
  /** Appends records to its consensus log, as if it had written them before signing. */
  rerecord(height: number, records: WalRecord[]): Promise<void>;
  /** Whether a proposal's bytes are the block at `height` whose hash it carries. */
  isBlockOf(height: number, value: ProposalValue): boolean;
  /** Fetches the blocks the other members finalized, so that the next height is theirs. */
  catchUp(): Promise<void>;
}

interface Asked extends Relearned {
  height: number;
  /** The peers that answered at this height; one that did not, or is at another height, may hold more. */
  answered: number;
}

/**
 * Brings back into the consensus log what this member signed at the height still being decided,
 * before it signs anything. A database restored from a backup older than the member's last votes,
 * or an empty one, does not hold them, and signing there again could sign a second block at that
 * height. The other members hold those messages, each signed with this member's key. Once at
 * least n − k + 1 of them answer, so that the silent ones and this member are fewer than k (see
 * DECISIONS.md, "A member takes back what it signed from its peers"), what they hold is written to
 * the log and the member goes on from there; the consensus machine, restored from that log, never
 * signs anything conflicting. While fewer answer, the start waits, catching up as the others
 * finalize, and after `peerWaitMs` (25 s by default) stops naming the height.
 */
export async function rerecordForgottenVotes(config: Pick<MemberConfig, 'memberIndex' | 'peers' | 'peerWaitMs'>, genesis: Genesis, consensus: ConsensusConfig, memory: VoteMemory, log: Logger, stopRequested?: AbortSignal): Promise<void> {
  const enough = consensus.members.length - consensus.threshold + 1;
  let waitingAt: number | undefined;
  const ask = async (): Promise<Asked> => {
    await memory.catchUp();
    const height = memory.nextHeight();
    const answers = await askEachPeer(config.peers, `/consensus/heard/${config.memberIndex}`, (body) => heardAt(body, height), stopRequested);
    const held = answers.flatMap(({ peer, answer }) => answer.map((encoded): HeldMessage => ({ heldBy: peer.memberIndex, encoded })));
    const relearned = relearnVotes(consensus, height, await memory.walRecords(height), held, (value) => memory.isBlockOf(height, value));
    const asked = { height, answered: answers.length, ...relearned };
    if (!canGoOn(asked, enough) && waitingAt !== height) {
      log.warn({ height, forgotten: asked.forgotten.length, answered: asked.answered }, "this member's database lacks what it signed at the height being decided: waiting until it can take it back from the other members, or they finalize that height");
    }
    waitingAt = height;
    return asked;
  };
  const { result, settled } = await pollPeers(ask, (asked) => canGoOn(asked, enough), config.peerWaitMs, stopRequested);
  if (settled) {
    if (result.records.length === 0) return;
    await memory.rerecord(result.height, result.records);
    log.info({ height: result.height, records: result.records.length, answered: result.answered }, 'took back from the other members what this member signed at the height being decided; voting on from there');
    return;
  }
  throw new ForgottenVotesError(refusal(config.memberIndex, genesis, result, enough));
}

function refusal(memberIndex: number, genesis: Genesis, asked: Asked, enough: number): string {
  const { height } = asked;
  const forgotten =
    `databaseUrl: the member's database does not hold what member ${memberIndex} signed at height ${height} (${describe(asked.forgotten.map((entry) => entry.message))}), which ${holders(genesis, asked)} received: ` +
    `it was restored from a backup older than the member's last votes, or is empty, while height ${height} is not final`;
  if (asked.unrecordable.length > 0) {
    const why = asked.unrecordable.map(({ message, reason }) => `${describe([message])}: ${reason}`).join('; ');
    return `${forgotten}; it cannot be taken back from them (${why}), and signing there again could sign two blocks at one height. Start it once the other members are past height ${height} (height in their /status), or on a newer backup`;
  }
  return (
    `${forgotten}; it is taken back from them once at least ${enough} of the other members answer at that height, and ${asked.answered} did: signing there before could sign two blocks at one height. ` +
    `Start it once at least ${enough} of the other members run, once they are past height ${height} (height in their /status), or on a newer backup`
  );
}

/** The messages a peer's answer holds at `height`; one about another height counts as no answer, as that peer may hold more once it gets there. */
function heardAt(body: unknown, height: number): unknown[] {
  const heard = body as { height?: unknown; messages?: unknown };
  if (heard.height !== height || !Array.isArray(heard.messages)) throw new TypeError(`the answer is not about height ${height}`);
  return heard.messages;
}

/**
 * Nothing forgotten, or all of it recordable and at least n − k + 1 members answered: a message of
 * this member's that only silent members hold is then held by k − 2 of them at most, which with
 * this member are not a quorum.
 */
function canGoOn(asked: Asked, enough: number): boolean {
  return asked.forgotten.length === 0 || (asked.unrecordable.length === 0 && asked.answered >= enough);
}

function holders(genesis: Genesis, asked: Asked): string {
  return [...new Set(asked.forgotten.map((entry) => genesis.file.members[entry.heldBy]?.name ?? String(entry.heldBy)))].join(', ');
}

function describe(messages: ConsensusMessage[]): string {
  return [...new Set(messages.map((message) => `round ${message.round} ${stepOf(message)}`))].join(', ');
}
