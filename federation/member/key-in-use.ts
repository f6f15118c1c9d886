import { setTimeout as sleep } from 'node:timers/promises';
import { StrongboxError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { MemberConfig } from '../config.ts';

/** A process holding this member's block key is already linked to the other members. */
export class KeyInUseError extends StrongboxError {
  constructor(message: string) {
    super('key-in-use', message);
  }
}

/**
 * How long a start waits for the other members to drop a link from this member's key before it
 * refuses: a process that died without closing its sockets (its machine lost) is seen gone once
 * it has left three 5-second pings unanswered.
 */
const LINK_DROP_WAIT_MS = 25_000;
const ASK_AGAIN_MS = 1_000;
const ASK_TIMEOUT_MS = 3_000;

/**
 * Refuses to start a second process with this member's key. Two such processes, each on a
 * database of its own (a copy of the key file given to a second config, a member moved to another
 * machine while the first still runs), each keep their own consensus log, so both would sign at
 * the same heights and rounds: evidence against the member at best, and one Byzantine seat more
 * than the federation planned for. The other members know whether a process with this key is
 * linked to them; more than n − k of them saying so cannot all be lying.
 */
export async function assertKeyNotInUse(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, genesis: Genesis): Promise<void> {
  const tolerated = genesis.members.keys.length - genesis.members.threshold;
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  const deadline = Date.now() + LINK_DROP_WAIT_MS;
  for (;;) {
    const linked = await peersLinkedTo(config, chainId);
    if (linked.length <= tolerated) return;
    if (Date.now() >= deadline) {
      const names = linked.map((index) => genesis.file.members[index]?.name ?? String(index));
      throw new KeyInUseError(
        `keyFile: member ${config.memberIndex}'s key is in use by another running process: ${names.join(', ')} still hold a link from it after ${LINK_DROP_WAIT_MS / 1000} s; two processes with one key would both sign blocks, so stop that one first`,
      );
    }
    await sleep(ASK_AGAIN_MS);
  }
}

/** The other members that say they hold a link from this member; one that does not answer says nothing. */
async function peersLinkedTo(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, chainId: string): Promise<number[]> {
  const answers = await Promise.all(
    config.peers.map(async (peer) => {
      try {
        const response = await fetch(`${peer.apiUrl}/status`, { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
        const status = (await response.json()) as { chainId?: unknown; peersConnected?: unknown };
        const linked = status.chainId === chainId && Array.isArray(status.peersConnected) && status.peersConnected.includes(config.memberIndex);
        return linked ? peer.memberIndex : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return answers.filter((index) => index !== undefined);
}
