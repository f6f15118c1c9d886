import { HttpConnectionError, KeptAliveHttp, type HttpAnswer } from '../../http-client/kept-alive-http.ts';
import { socketReason } from '../../http-client/socket-reasons.ts';
import { API_KEEP_ALIVE_MS } from './serve.ts';

export interface MemberRequestInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Every request to a member's API in the process shares one pool of kept-alive connections: the
 * catch-up makes a client per peer each tick, and its questions must ride the connections the tick
 * before opened; a starting member's questions to its peers (ask-peers.ts) and `strongbox up`'s
 * wait for its members (member-readiness.ts) ride them too, where fetch kept a second pool of
 * connections to the same members and cost each question twice the CPU. Members keep an idle
 * connection API_KEEP_ALIVE_MS and say so in their Keep-Alive header, which makes the pool close
 * it a second before they would.
 */
const memberHttp = new KeptAliveHttp(API_KEEP_ALIVE_MS);

/**
 * The ports browsers refuse to open (the Fetch standard's "bad ports"). A member's API address is
 * also its explorer's, which no browser opens on them, and the client refuses them before it
 * connects, as it did when it went through fetch, rather than asking whatever service such a
 * port is known for.
 */
const BROWSER_BLOCKED_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512,
  513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
  6679, 6697, 10080,
]);

class BlockedPortError extends Error {
  constructor() {
    super('a port the HTTP client refuses, as browsers do: no member can be reached there');
  }
}

/**
 * One request to a member and its whole answer. It fails with the signal's reason (a
 * TimeoutError once the request's time is up), a BlockedPortError, or the transport's
 * HttpConnectionError; unreachableReason says each in words.
 */
export function exchangeWithMember(address: string, init: MemberRequestInit | undefined, signal: AbortSignal): Promise<HttpAnswer> {
  const url = new URL(address);
  if (BROWSER_BLOCKED_PORTS.has(Number(url.port))) return Promise.reject(new BlockedPortError());
  return memberHttp.exchange(url, { method: init?.method ?? 'GET', headers: init?.headers, body: init?.body, signal });
}

/** The reason a person can act on, from the transport's failure or the request signal's reason. */
export function unreachableReason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (error instanceof HttpConnectionError && error.code !== undefined) return socketReason(error.code);
  return (error as Error).message;
}

/** Failures where the request never reached a server, so another member may be asked the same, a submission included. */
const NOTHING_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND']);
const nothingSent = (error: unknown) => (error instanceof HttpConnectionError && NOTHING_SENT.has(error.code!)) || error instanceof BlockedPortError;
/**
 * A read that got no answer: a member that hangs (paused, overloaded, cut off without a reset)
 * accepts the connection and answers nothing, one killed mid-way drops it, and any other member
 * serves the same final chain. A submission is not asked again elsewhere: the first member may
 * have taken it.
 */
const unansweredRead = (error: unknown, method: 'GET' | 'POST') => method === 'GET' && ((error instanceof DOMException && error.name === 'TimeoutError') || error instanceof HttpConnectionError);

/** Whether a request that failed with `error` may be asked of another member. */
export function mayAskAnotherMember(error: unknown, method: 'GET' | 'POST'): boolean {
  return nothingSent(error) || unansweredRead(error, method);
}
