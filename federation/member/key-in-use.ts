import { StrongboxError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { MemberConfig } from '../config.ts';
import { askEachPeer, pollPeers } from './ask-peers.ts';

/** A process holding this member's block key is already linked to the other members. */
export class KeyInUseError extends StrongboxError {
  constructor(message: string) {
    super('key-in-use', message);
  }
}

/**
 * Refuses to start a second process with this member's key. Two such processes, each on a
 * database of its own (a copy of the key file given to a second config, a member moved to another
 * machine while the first still runs), each keep their own consensus log, so both would sign at
 * the same heights and rounds: evidence against the member at best, and one Byzantine seat more
 * than the federation planned for. The other members know whether a process with this key is
 * linked to them; more than n − k of them saying so cannot all be lying.
 */
export async function assertKeyNotInUse(config: Pick<MemberConfig, 'memberIndex' | 'peers' | 'peerWaitMs'>, genesis: Genesis, stopRequested?: AbortSignal): Promise<void> {
  const tolerated = genesis.members.keys.length - genesis.members.threshold;
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  const { result: linked, settled } = await pollPeers(() => peersLinkedTo(config, chainId, stopRequested), (linked) => linked.length <= tolerated, config.peerWaitMs, stopRequested);
  if (settled) return;
  const names = linked.map((index) => genesis.file.members[index]?.name ?? String(index));
  throw new KeyInUseError(
    `keyFile: member ${config.memberIndex}'s key is in use by another running process: ${names.join(', ')} still hold a link from it after ${config.peerWaitMs / 1000} s; two processes with one key would both sign blocks, so stop that one first`,
  );
}

/** The other members that say they hold a link from this member; one that does not answer says nothing. */
async function peersLinkedTo(config: Pick<MemberConfig, 'memberIndex' | 'peers'>, chainId: string, stopRequested: AbortSignal | undefined): Promise<number[]> {
  const answers = await askEachPeer(config.peers, '/status', (body) => {
    const status = body as { chainId?: unknown; peersConnected?: unknown };
    return status.chainId === chainId && Array.isArray(status.peersConnected) && status.peersConnected.includes(config.memberIndex);
  }, stopRequested);
  return answers.filter(({ answer: linked }) => linked).map(({ peer }) => peer.memberIndex);
}
