import { setTimeout as sleep } from 'node:timers/promises';
import type { MemberConfig } from '../config.ts';
import { throwIfStopRequested } from './stop-request.ts';
import { requestSignal } from '../request-signal.ts';
import { exchangeWithMember } from '../api/client-exchange.ts';

const ASK_AGAIN_MS = 1_000;
const ASK_TIMEOUT_MS = 3_000;

type Peer = MemberConfig['peers'][number];

/**
 * Asks every peer's API for `path` at once and reads each JSON answer with `read`. A peer that
 * does not answer within 3 s, or answers something that is not JSON, says nothing: it is left
 * out, and the caller decides what silence means; so is every peer once a stop is asked.
 */
export async function askEachPeer<T>(peers: readonly Peer[], path: string, read: (body: unknown) => T, stopRequested?: AbortSignal): Promise<{ peer: Peer; answer: T }[]> {
  const answers = await Promise.all(
    peers.map(async (peer) => {
      const request = requestSignal(ASK_TIMEOUT_MS, stopRequested);
      try {
        const { text } = await exchangeWithMember(`${peer.apiUrl}${path}`, undefined, request.signal);
        return [{ peer, answer: read(JSON.parse(text)) }];
      } catch {
        return [];
      } finally {
        request.ended();
      }
    }),
  );
  return answers.flat();
}

/**
 * Runs `poll` once a second until `settled` holds for its result or `waitMs` (the member's
 * `peerWaitMs`) has passed; returns the last result either way, for the caller to go on or to say
 * why it stops. `poll` runs at least once, so only a result decides that the caller goes on. A stop
 * asked meanwhile ends the wait at once, with StoppedWhileStartingError.
 */
export async function pollPeers<T>(poll: () => Promise<T>, settled: (result: T) => boolean, waitMs: number, stopRequested?: AbortSignal): Promise<{ result: T; settled: boolean }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = await poll();
    throwIfStopRequested(stopRequested);
    if (settled(result)) return { result, settled: true };
    if (Date.now() >= deadline) return { result, settled: false };
    // Aborted, the sleep ends early; the check above says why on the next turn.
    await sleep(ASK_AGAIN_MS, undefined, { signal: stopRequested }).catch(() => undefined);
  }
}
