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

type KeyConfig = Pick<MemberConfig, 'memberIndex' | 'peers' | 'peerWaitMs'>;

/**
 * The key question, asked while the start goes on with steps that neither sign, vote, write the
 * consensus log, link to a peer nor serve the API (loading the chain, catching up, asking the
 * peers what this member signed), so that a start beside paused peers waits out their timeout
 * once, not once for each question (DECISIONS.md, "The key question is asked while the chain
 * loads"). The start waits for `passed()` before any of those: until then its
 * own links cannot be among the ones the peers report, and a second process has done nothing the
 * first, or the federation, can see.
 */
export class KeyInUseCheck {
  readonly #refused = new AbortController();
  /** Never rejects: the answer may come in while nobody waits for it, as when the chain load fails first. */
  readonly #answer: Promise<{ passed: true } | { passed: false; refusal: unknown }>;
  /** Aborted once a stop is asked or the key is refused: the steps run meanwhile end at their next safe point. */
  readonly signal: AbortSignal;

  constructor(config: KeyConfig, genesis: Genesis, stopRequested?: AbortSignal) {
    this.signal = stopRequested ? AbortSignal.any([stopRequested, this.#refused.signal]) : this.#refused.signal;
    this.#answer = assertKeyNotInUse(config, genesis, stopRequested).then(
      () => ({ passed: true }),
      (refusal: unknown) => {
        this.#refused.abort();
        return { passed: false, refusal };
      },
    );
  }

  /** Resolves once no more than n − k peers report a link from the key; throws the refusal otherwise (KeyInUseError, or StoppedWhileStartingError). */
  async passed(): Promise<void> {
    const answer = await this.#answer;
    if (!answer.passed) throw answer.refusal;
  }

  /**
   * Runs a start step while the question is out. Should the step fail, its error is the start's
   * reason only once the key has passed: a key in use is refused as it was when asked before the
   * chain loaded, whatever the step met meanwhile.
   */
  async beside<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      await this.passed();
      throw error;
    }
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
async function assertKeyNotInUse(config: KeyConfig, genesis: Genesis, stopRequested?: AbortSignal): Promise<void> {
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
