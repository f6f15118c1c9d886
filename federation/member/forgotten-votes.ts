import type { Logger } from 'pino';
import { ConfigError, StrongboxError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { ConsensusConfig, ConsensusMessage, ProposalValue, WalRecord } from '../consensus/index.ts';
import type { MemberConfig } from '../config.ts';
import { askEachPeer, pollPeers } from './ask-peers.ts';
import { forgottenAt, relearnVotes, stepOf, type ForgottenMessage, type HeldMessage, type Relearned } from './relearn-votes.ts';

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
  /** The peers that answered at this height; one that did not, or is at a lower height, may hold more. */
  answered: number;
  /** The peers that answered about a height above this one, the highest of those, and what they hold there that this member signed and its log lacks. */
  ahead: { answered: number; height: number; forgotten: ForgottenMessage[] };
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
 * finalize, and after `peerWaitMs` (25 s by default) stops naming the height. It waits too while
 * the member is behind (CONSENSUS.md, "A restored member behind the height being decided").
 */
export async function rerecordForgottenVotes(config: Pick<MemberConfig, 'memberIndex' | 'peers' | 'peerWaitMs'>, genesis: Genesis, consensus: ConsensusConfig, memory: VoteMemory, log: Logger, stopRequested?: AbortSignal): Promise<void> {
  const enough = consensus.members.length - consensus.threshold + 1;
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  let warnedOf: string | undefined;
  const warnOnce = (about: string, fields: object, message: string) => {
    if (warnedOf !== about) log.warn(fields, message);
    warnedOf = about;
  };
  // Behind, the member catches up and asks again at once for as long as each catch-up takes it
  // higher: a catch-up of many blocks on a busy chain ends with the others a block or two further
  // on, which is no reason to wait, and peerWaitMs bounds only the waiting that makes no progress.
  const ask = async (previous?: Asked): Promise<Asked> => {
    await memory.catchUp();
    const height = memory.nextHeight();
    if (previous && height === previous.height) return previous;
    const [heard, chains] = await Promise.all([askEachPeer(config.peers, `/consensus/heard/${config.memberIndex}`, heardOf, stopRequested), askEachPeer(config.peers, '/status', chainOf, stopRequested)]);
    const otherChain = chains.filter(({ answer }) => answer !== chainId);
    if (otherChain.length > 0 && otherChain.length === chains.length) throw new ConfigError('genesisFile', otherChainRefusal(genesis, chainId, otherChain));
    // A member of another chain decides heights of its own: what it says is nothing to this member.
    const answers = heard.filter(({ peer }) => !otherChain.some((other) => other.peer === peer));
    const asked = await weigh(consensus, memory, height, answers);
    if (isBehind(asked, enough)) {
      warnOnce('behind', { height: asked.ahead.height, tip: height - 1, answered: asked.ahead.answered, forgotten: asked.ahead.forgotten.length }, 'this member is behind the height the other members are deciding: catching up, and asking again what it signed there, before it votes');
      return stopRequested?.aborted ? asked : ask(asked);
    }
    if (!canGoOn(asked, enough)) {
      warnOnce(`lacking/${height}`, { height, forgotten: asked.forgotten.length, answered: asked.answered }, "this member's database lacks what it signed at the height being decided: waiting until it can take it back from the other members, or they finalize that height");
    }
    return asked;
  };
  const { result, settled } = await pollPeers(() => ask(), (asked) => canGoOn(asked, enough), config.peerWaitMs, stopRequested);
  if (settled) {
    if (result.records.length === 0) return;
    await memory.rerecord(result.height, result.records);
    log.info({ height: result.height, records: result.records.length, answered: result.answered }, 'took back from the other members what this member signed at the height being decided; voting on from there');
    return;
  }
  throw new ForgottenVotesError(isBehind(result, enough) ? behindRefusal(config, genesis, result) : refusal(config.memberIndex, genesis, result, enough));
}

/** What the peers' answers say, at the height asked and at any height above it some peer is deciding. */
async function weigh(consensus: ConsensusConfig, memory: VoteMemory, height: number, answers: { peer: { memberIndex: number }; answer: Heard }[]): Promise<Asked> {
  const heldAt = (at: number) => answers.filter(({ answer }) => answer.height === at).flatMap(({ peer, answer }) => answer.messages.map((encoded): HeldMessage => ({ heldBy: peer.memberIndex, encoded })));
  const relearned = relearnVotes(consensus, height, await memory.walRecords(height), heldAt(height), (value) => memory.isBlockOf(height, value));
  const heightsAhead = [...new Set(answers.map(({ answer }) => answer.height).filter((at) => at > height))];
  const forgottenAhead = await Promise.all(heightsAhead.map(async (at) => forgottenAt(consensus, at, await memory.walRecords(at), heldAt(at))));
  const ahead = { answered: answers.filter(({ answer }) => answer.height > height).length, height: Math.max(height, ...heightsAhead), forgotten: forgottenAhead.flat() };
  return { height, answered: answers.filter(({ answer }) => answer.height === height).length, ahead, ...relearned };
}

function refusal(memberIndex: number, genesis: Genesis, asked: Asked, enough: number): string {
  const { height } = asked;
  const forgotten =
    `databaseUrl: the member's database does not hold what member ${memberIndex} signed at height ${height} (${describe(asked.forgotten.map((entry) => entry.message))}), which ${holders(genesis, asked.forgotten)} received: ` +
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

function behindRefusal(config: Pick<MemberConfig, 'memberIndex' | 'peerWaitMs'>, genesis: Genesis, asked: Asked): string {
  const reached = `its chain reached only height ${asked.height - 1} within peerWaitMs (${config.peerWaitMs} ms)`;
  const again = "Check that the member reaches the other members' APIs (apiUrl of its peers) and start it again";
  const { forgotten } = asked.ahead;
  if (forgotten.length === 0) {
    return `peers: ${asked.ahead.answered} of the other members are deciding a height above ${asked.height}, and ${reached}: the member signs nothing before it has asked them what it signed at the height they are deciding. ${again}`;
  }
  const height = Math.max(...forgotten.map((entry) => entry.message.height));
  const there = forgotten.filter((entry) => entry.message.height === height);
  return (
    `databaseUrl: the member's database does not hold what member ${config.memberIndex} signed at height ${height} (${describe(there.map((entry) => entry.message))}), which ${holders(genesis, there)} received, and ${reached}: ` +
    `it was restored from a backup older than the member's last votes, or is empty, and it takes that back only once it holds the blocks below height ${height}; signing there before could sign two blocks at one height. ` +
    `${again}, or start it on a newer backup`
  );
}

/** A peer's answer: the height it is deciding and the messages of this member's it holds there, not yet checked. */
interface Heard {
  height: number;
  messages: unknown[];
}

/** The chain a peer's `/status` names. */
function chainOf(body: unknown): string {
  const chainId = (body as { chainId?: unknown } | null)?.chainId;
  if (typeof chainId !== 'string') throw new TypeError('the answer names no chain');
  return chainId;
}

function heardOf(body: unknown): Heard {
  const heard = body as { height?: unknown; messages?: unknown } | null;
  if (typeof heard?.height !== 'number' || !Number.isSafeInteger(heard.height) || !Array.isArray(heard.messages)) throw new TypeError('the answer is not a height with messages');
  return { height: heard.height, messages: heard.messages };
}

/**
 * Peers answered about a height above the one this member asked about: it is behind, and must
 * catch up and ask again before its machine starts. Messages it signed there and its log lacks
 * prove it (no peer can make them up); so do n − k + 1 peers there, one of them correct. A lone
 * peer there holding nothing of this member's is not enough: it may be lying, and would hold up
 * every start.
 */
function isBehind(asked: Asked, enough: number): boolean {
  return asked.ahead.forgotten.length > 0 || asked.ahead.answered >= enough;
}

/**
 * Not behind, and at the height asked nothing forgotten, or all of it recordable and at least
 * n − k + 1 members answered: a message of this member's that only silent members hold is then
 * held by k − 2 of them at most, which with this member are not a quorum.
 */
function canGoOn(asked: Asked, enough: number): boolean {
  return !isBehind(asked, enough) && (asked.forgotten.length === 0 || (asked.unrecordable.length === 0 && asked.answered >= enough));
}

/**
 * Every peer that answered serves another chain: this member's genesis file is not the
 * federation's, or its peers list names another network's members. Waiting would not change it.
 */
function otherChainRefusal(genesis: Genesis, chainId: string, otherChain: { peer: { memberIndex: number; apiUrl: string }; answer: string }[]): string {
  const served = [...new Set(otherChain.map(({ answer }) => answer))].join(', ');
  const peers = otherChain.map(({ peer }) => `${genesis.file.members[peer.memberIndex]?.name ?? peer.memberIndex} at ${peer.apiUrl}`).join(', ');
  return `the other members that answer (${peers}) serve chain ${served}, not this genesis's chain ${chainId}: this member's genesis file is not theirs, or its peers list names another network's members; compare chain ids (strongbox info --genesis <file>) with the other operators`;
}

function holders(genesis: Genesis, forgotten: ForgottenMessage[]): string {
  return [...new Set(forgotten.map((entry) => genesis.file.members[entry.heldBy]?.name ?? String(entry.heldBy)))].join(', ');
}

function describe(messages: ConsensusMessage[]): string {
  return [...new Set(messages.map((message) => `round ${message.round} ${stepOf(message)}`))].join(', ');
}
