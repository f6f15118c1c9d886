import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What a server answered: its status and its whole body as text. */
export interface HttpAnswer {
  status: number;
  statusMessage: string;
  text: string;
}

export interface HttpExchange {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the exchange at any point, failing it with the signal's reason (as fetch does). */
  signal?: AbortSignal;
  /** Fails the exchange with SilentConnectionError once the socket has been silent this long: a large answer that keeps arriving is not cut short. */
  silenceMs?: number;
  /**
   * A kept-alive connection the server closed just as the request went out on it fails before any
   * answer, the request unread: that is the case Node gives `reusedSocket` for, and the request
   * goes once more, on a new connection. Only for requests the server may see twice.
   */
  retryStaleConnection?: boolean;
}

/** The connection failed (refused, reset, closed, TLS): `code` is Node's, when it gives one. */
export class HttpConnectionError extends Error {
  readonly code: string | undefined;

  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'HttpConnectionError';
    this.code = codeOf(cause);
  }
}

/**
 * Node's code for the failure. A TLS failure met by a write (the handshake answered in plain HTTP)
 * carries only the errno EPROTO; its OpenSSL reason, in the message, is named as Node names such
 * reasons where it sees them itself (`wrong version number`: ERR_SSL_WRONG_VERSION_NUMBER).
 */
function codeOf(error: Error): string | undefined {
  const { code } = error as { code?: unknown };
  if (typeof code !== 'string') return undefined;
  const sslReason = code === 'EPROTO' ? /:SSL routines:[^:]*:([^:]+):/.exec(error.message)?.[1] : undefined;
  return sslReason ? `ERR_SSL_${sslReason.toUpperCase().replaceAll(' ', '_')}` : code;
}

/** The connection stayed silent for the exchange's whole `silenceMs`. */
export class SilentConnectionError extends Error {
  constructor(readonly silenceMs: number) {
    super(`no answer within ${silenceMs / 1000} s`);
    this.name = 'SilentConnectionError';
  }
}

/**
 * HTTP and HTTPS over a pool of kept-alive connections: successive requests to one server ride
 * the connection the first opened, where fetch (undici) costs a client several times the CPU of a
 * request over node:http (docs/PERFORMANCE.md). A pool closes a connection idle for `idleMs`, or
 * a second before the server's Keep-Alive header says the server closes it, whichever comes first
 * (Node reads that header only for an agent with a timeout), so that a request does not go out on
 * a connection the server is closing at that moment.
 */
export class KeptAliveHttp {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(idleMs: number) {
    this.http = new HttpAgent({ keepAlive: true, timeout: idleMs });
    this.https = new HttpsAgent({ keepAlive: true, timeout: idleMs });
  }

  /** One request and its whole answer; fails with HttpConnectionError, SilentConnectionError or the signal's reason. */
  exchange(url: URL, exchange: HttpExchange): Promise<HttpAnswer> {
    const { method, headers, body, signal, silenceMs, retryStaleConnection } = exchange;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // Destroying a silent or aborted request also fails its half-read answer: that failure is the silence or the abort.
      let ended: 'silent' | 'aborted' | undefined;
      let answered = false;
      const onAbort = () => {
        ended = 'aborted';
        outgoing.destroy();
        reject(signal!.reason);
      };
      const settle = () => signal?.removeEventListener('abort', onAbort);
      const fail = (error: Error) => {
        settle();
        if (ended === 'aborted') return;
        if (retryStaleConnection && ended === undefined && !answered && outgoing.reusedSocket && isClosedUnderfoot(error)) {
          resolve(this.exchange(url, { ...exchange, retryStaleConnection: false }));
        } else {
          reject(ended === 'silent' ? new SilentConnectionError(silenceMs!) : new HttpConnectionError(error));
        }
      };
      const secure = url.protocol === 'https:';
      const options = {
        method,
        agent: secure ? this.https : this.http,
        ...(silenceMs === undefined ? {} : { timeout: silenceMs }),
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      };
      const answer = (incoming: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', fail);
        incoming.on('end', () => {
          settle();
          resolve({ status: incoming.statusCode ?? 0, statusMessage: incoming.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8') });
        });
      };
      const outgoing: ClientRequest = secure ? httpsRequest(url, options, answer) : httpRequest(url, options, answer);
      outgoing.on('timeout', () => {
        ended = 'silent';
        outgoing.destroy();
      });
      outgoing.on('error', fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.end(body);
    });
  }
}

/** How a connection the other side closed (reset, or ended) fails a request written to it. */
function isClosedUnderfoot(error: Error): boolean {
  const { code } = error as { code?: unknown };
  return code === 'ECONNRESET' || code === 'EPIPE';
}
