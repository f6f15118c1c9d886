import { readFileSync } from 'node:fs';
import { StrongboxError } from '../../sidechain/errors.ts';
import type { ManagedChild } from './child-processes.ts';
import { isPortTaken } from '../member/listen-check.ts';
import { exchangeWithMember } from '../api/client-exchange.ts';

/** How often the start names the members it still waits for. */
export const MEMBER_WAIT_NOTICE_MS = 30_000;
const STATUS_TIMEOUT_MS = 3_000;

/** The local network did not come up: names the member and why. */
export class NetworkStartError extends StrongboxError {
  /** A member could not listen because another program took its port after it was chosen. */
  readonly portTaken: boolean;

  constructor(message: string, portTaken = false) {
    super('network-start', message);
    this.portTaken = portTaken;
  }
}

const gone = (child: ManagedChild) => child.process.exitCode !== null || child.process.signalCode !== null;

/** The one-line refusal a member that exited at start wrote last in its log, without `strongbox: `; undefined if it wrote none. */
export function memberRefusal(logFile: string): string | undefined {
  const lastLine = readFileSync(logFile, 'utf8').trimEnd().split('\n').at(-1) ?? '';
  return lastLine.startsWith('strongbox: ') ? lastLine.slice('strongbox: '.length) : undefined;
}

/** A member that exited, with the reason it gave last in its log (its one-line refusal), and where the log is. */
function memberExited(index: number, child: ManagedChild, logFile: string): NetworkStartError {
  const refusal = memberRefusal(logFile);
  const how = child.process.exitCode !== null ? `with code ${child.process.exitCode}` : `on ${child.process.signalCode}`;
  return new NetworkStartError(`member ${index} exited ${how} before the network was up${refusal ? `: ${refusal}` : ''} (its log: ${logFile})`, refusal !== undefined && isPortTaken(refusal));
}

/**
 * How many peers a member's `/status` answer says it is linked to; -1 for any other answer. The
 * program answering may not be the member (another one took its port, and the member is about to
 * exit saying so, which the wait then reports and `strongbox up` acts on): its pages are no answer.
 */
function linkedPeers(status: number, text: string): number {
  if (status < 200 || status >= 300) return -1;
  try {
    const { peersConnected } = JSON.parse(text) as { peersConnected?: unknown };
    return Array.isArray(peersConnected) ? peersConnected.length : -1;
  } catch {
    return -1;
  }
}

/**
 * Resolves once every member's API answers and its peer links to all the others are up, so that
 * the network starts deciding as a full mesh; fails fast when any member process exits (the one
 * waited for may only lack a peer that did). While they run they are waited for, however long:
 * a member re-executes every block it holds before it answers, which takes longer as the chain
 * grows and on a busy machine (five members resuming 2,800 blocks took over a minute under a load
 * average of 38, past the fixed minute this used to allow). `notice` is told every
 * `noticeEveryMs` which member it still waits for.
 */
export async function waitForMembers(
  apiUrls: string[],
  children: ManagedChild[],
  logFiles: string[],
  notice: (line: string) => void,
  noticeEveryMs = MEMBER_WAIT_NOTICE_MS,
): Promise<void> {
  const started = Date.now();
  let noticeAt = started + noticeEveryMs;
  for (const [index, url] of apiUrls.entries()) {
    for (;;) {
      const exited = children.findIndex(gone);
      if (exited >= 0) throw memberExited(exited, children[exited]!, logFiles[exited]!);
      // Bounded: whatever else holds the port (a member's was taken by another program) may never answer.
      const peers = await exchangeWithMember(`${url}/status`, undefined, AbortSignal.timeout(STATUS_TIMEOUT_MS)).then(({ status, text }) => linkedPeers(status, text), () => -1);
      if (peers === apiUrls.length - 1) break;
      if (Date.now() >= noticeAt) {
        const seconds = Math.round((Date.now() - started) / 1000);
        const state = peers < 0 ? `has not answered at ${url} yet: it answers once it has started, on a long chain after re-executing its blocks` : `has reached ${peers} of its ${apiUrls.length - 1} peers`;
        notice(`still waiting after ${seconds} s: member ${index} ${state} (its log: ${logFiles[index]})`);
        noticeAt += noticeEveryMs;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
