import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { StrongboxError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { admitMessage, decodeMessage, type ConsensusConfig, type ConsensusMessage, type WalRecord } from '../consensus/index.ts';
import { messageHash } from '../consensus/messages.ts';
import { walRecordHash, walSlot } from '../consensus/wal.ts';
import { hashKey } from '../consensus/vote-tally.ts';
import type { MemberConfig } from '../config.ts';

/** The member's consensus log lacks messages it signed that its peers hold. */
export class ForgottenVotesError extends StrongboxError {
  constructor(message: string) {
    super('forgotten-votes', message);
  }
}

/**
 * How long a start waits for the other members to finalize the height whose votes its log has
 * forgotten: with k of them up they decide it without this member, and the start goes on.
 */
const FINALIZE_WAIT_MS = 25_000;
const ASK_AGAIN_MS = 1_000;
const ASK_TIMEOUT_MS = 3_000;

export interface VoteMemory {
  /** The height this member would vote at next: the one after its tip, once caught up. */
  nextHeight(): number;
  /** Its consensus log's records at a height. */
  walRecords(height: number): Promise<WalRecord[]>;
  /** Fetches the blocks the other members finalized, so that the next height is theirs. */
  catchUp(): Promise<void>;
}

/**
 * Refuses to vote from a consensus log that has forgotten what this member signed. A database
 * restored from a backup older than the member's last votes, or an empty one, does not hold the
 * proposals and votes it signed at the height still being decided; signing there again could sign
 * a second block at that height. The other members hold those messages (each is signed with this
 * member's key, so none can be made up), and they say at which height. The start waits while they
 * hold one the log lacks, catching up as they finalize; after 25 s it stops with the height.
 */
export async function assertVotesRemembered(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, genesis: Genesis, consensus: ConsensusConfig, memory: VoteMemory, log: Logger): Promise<void> {
  const deadline = Date.now() + FINALIZE_WAIT_MS;
  let waitingAt: number | undefined;
  for (;;) {
    await memory.catchUp();
    const height = memory.nextHeight();
    const logged = new Map((await memory.walRecords(height)).map((record) => [walSlot(record.round, record.step), hashKey(walRecordHash(record))]));
    const forgotten = await forgottenMessages(config, consensus, height, logged);
    if (forgotten.length === 0) return;
    if (waitingAt !== height) log.warn({ height, forgotten: forgotten.length }, "this member's database lacks what it signed at the height being decided: waiting for the other members to finalize it before voting");
    waitingAt = height;
    if (Date.now() >= deadline) {
      const holders = [...new Set(forgotten.map((entry) => genesis.file.members[entry.heldBy]?.name ?? String(entry.heldBy)))];
      const slots = [...new Set(forgotten.map((entry) => describeSlot(entry.message)))];
      throw new ForgottenVotesError(
        `databaseUrl: the member's database does not hold what member ${config.memberIndex} signed at height ${height} (${slots.join(', ')}), which ${holders.join(', ')} received: ` +
          `it was restored from a backup older than the member's last votes, or is empty, while height ${height} is not final; signing there again could sign two blocks at one height. ` +
          `Start it once the other members are past height ${height} (height in their /status), or on a newer backup`,
      );
    }
    await sleep(ASK_AGAIN_MS);
  }
}

/** The messages of this member at `height` that a peer holds and the log does not; a peer that does not answer holds none. */
async function forgottenMessages(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, consensus: ConsensusConfig, height: number, logged: Map<string, string>): Promise<{ heldBy: number; message: ConsensusMessage }[]> {
  const answers = await Promise.all(
    config.peers.map(async (peer) => {
      try {
        const response = await fetch(`${peer.apiUrl}/consensus/heard/${config.memberIndex}`, { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
        const heard = (await response.json()) as { height?: unknown; messages?: unknown };
        if (heard.height !== height || !Array.isArray(heard.messages)) return [];
        return heard.messages.flatMap((encoded) => {
          const message = ownMessage(config.memberIndex, consensus, height, encoded);
          if (!message || logged.get(slotOf(message)) === hashKey(messageHash(message))) return [];
          return [{ heldBy: peer.memberIndex, message }];
        });
      } catch {
        return [];
      }
    }),
  );
  return answers.flat();
}

/** A message this member signed at `height`, checked against its own key; anything else is ignored. */
function ownMessage(memberIndex: number, consensus: ConsensusConfig, height: number, encoded: unknown): ConsensusMessage | undefined {
  if (typeof encoded !== 'string') return undefined;
  let message: ConsensusMessage;
  try {
    message = decodeMessage(Buffer.from(encoded, 'hex'), consensus.maxValueBytes);
  } catch {
    return undefined;
  }
  if (message.memberIndex !== memberIndex || message.height !== height || !admitMessage(consensus, height, message).ok) return undefined;
  return message;
}

function slotOf(message: ConsensusMessage): string {
  return walSlot(message.round, stepOf(message));
}

function stepOf(message: ConsensusMessage): WalRecord['step'] {
  if (message.kind === 'proposal') return 'proposal';
  return message.type === VoteType.Prevote ? 'prevote' : 'precommit';
}

function describeSlot(message: ConsensusMessage): string {
  return `round ${message.round} ${stepOf(message)}`;
}
