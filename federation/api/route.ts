import type { z } from 'zod';
import { StrongboxError } from '../../sidechain/errors.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** What a handler receives: its inputs already validated and typed by the route's schemas. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The Authorization header, for routes that check roles. */
  authorization: string | undefined;
}

/**
 * One HTTP route: the schemas validate the request at the edge and also produce the OpenAPI
 * document, so the document cannot drift from what the server accepts.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Express-style path, e.g. `/blocks/:height`. */
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Status on success; 200 unless the route creates something. */
  status?: number;
  /**
   * The JSON body of the success answer as the wire carries it (bigint as decimal strings, bytes
   * as hex), for the OpenAPI document; the end-to-end tests hold every answer to it.
   */
  response?: z.ZodType;
  /** Requests one client address may make to this route a minute, besides the API-wide limit. */
  limitPerMinute?: number;
  /** How many transactions the request submits: counted against the client's transactions a minute before the handler runs. */
  transactions?: (body: B) => number;
  handler: (input: RouteInput<P, Q, B>) => Promise<unknown> | unknown;
}

export function defineRoute<P = undefined, Q = undefined, B = undefined>(route: Route<P, Q, B>): Route {
  return route as Route;
}

/** A request the server understood but cannot serve: maps to the given HTTP status. */
export class HttpError extends StrongboxError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    /** Headers the answer carries besides its body, such as Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(code, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(what: string) {
    super(404, 'not-found', `${what} not found`);
  }
}
