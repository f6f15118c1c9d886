import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';

export interface RequestDeadlines {
  /** The time a client has to send a whole request (the body limit is 1 MiB). */
  requestMs: number;
  /** The time it has to send the request's headers. */
  headersMs: number;
  /** How often Node looks for requests past their deadline: a deadline holds within this. */
  checkEveryMs: number;
}

/**
 * A client sending its request slowly holds a socket and the body so far until the request is
 * whole, and Node allows 300 s, checked every 30 s. Answers that wait (?waitMs) start only after
 * the request is whole, so these do not cut them short.
 */
export const API_REQUEST_DEADLINES: RequestDeadlines = { requestMs: 20_000, headersMs: 10_000, checkEveryMs: 2_000 };

/**
 * How long an idle connection stays open for the client's next request. Every member asks each
 * peer its tip every 5 s (the catch-up tick); with Node's default of 5 s, and undici closing its
 * side a second before the server's announced timeout, every tick paid for two new connections
 * to each peer (docs/PERFORMANCE.md). 30 s outlasts a tick skipped while a catch-up runs long.
 * Only the request deadlines above bound a request, so an idle connection kept longer holds no
 * request open; a stopping member closes idle connections at once (closeApi).
 */
export const API_KEEP_ALIVE_MS = 30_000;

/** How long a stopping member lets answers already begun finish before it cuts their connections. */
export const API_CLOSE_GRACE_MS = 1_000;
const IDLE_SWEEP_MS = 50;

/**
 * Serves `app` on host:port. A request that misses its deadline, or that Node cannot parse as
 * HTTP, is answered with the API's error body (408 or 400) rather than Node's empty one.
 */
export function listenApi(app: express.Express, port: number, host: string, deadlines: RequestDeadlines = API_REQUEST_DEADLINES): Promise<Server> {
  const server = createServer({ requestTimeout: deadlines.requestMs, headersTimeout: deadlines.headersMs, connectionsCheckingInterval: deadlines.checkEveryMs }, app);
  server.keepAliveTimeout = API_KEEP_ALIVE_MS;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const [status, reason, code, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request-timeout', `the request did not arrive whole within ${deadlines.requestMs / 1000} s (its headers within ${deadlines.headersMs / 1000} s)`]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'too-large', 'request headers too large']
          : [400, 'Bad Request', 'bad-request', 'malformed HTTP request'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  return new Promise((resolve, reject) => {
    // Kept after listening: a later server error (an accept failing) must not end the process.
    server.on('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * Stops serving: no new connections, and each open one closed as soon as it has no answer in
 * progress. Node's close() waits for every connection to end but closes only those idle at that
 * moment, so a client that keeps asking over a kept-alive connection (a wallet polling, a
 * scraper) would hold it for as long as it asks: the member never stopped. Answers still running
 * after `graceMs` are cut.
 */
export async function closeApi(server: Server, graceMs: number = API_CLOSE_GRACE_MS): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A request already read on a kept-alive connection is answered, with the connection closed after it.
  server.prependListener('request', (_request, response) => response.setHeader('Connection', 'close'));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
