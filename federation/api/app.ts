import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { StrongboxError, ValidationError } from '../../sidechain/errors.ts';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';
import { isNodeUnavailable } from '../../watcher/errors.ts';
import { toWireJson } from './json.ts';
import { HttpError, type Route } from './route.ts';
import { TransactionBudget } from './transaction-budget.ts';

export interface ApiOptions {
  /** Largest accepted request body; larger ones get 413 before any handler runs. */
  bodyLimitBytes?: number;
  /** Requests one client (IP address) may make per minute; more get 429 until the minute is over. */
  rateLimitPerMinute?: number;
  /** Transactions one client (IP address) may submit per minute, whether in one request or many; more get 429. */
  transactionLimitPerMinute?: number;
  /** Called for unexpected errors (bugs), which answer 500 without details. */
  onInternalError?: (error: unknown, request: Request) => void;
  /** Handlers outside the JSON route table (metrics, the explorer), mounted before the 404 answer. */
  mount?: (app: express.Express) => void;
}

/** About 100 requests a second from one address: far above what a wallet or an explorer page needs. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6_000;

/**
 * About 1,000 transactions a second from one address: a tenth or so of what a member can verify,
 * so one client batching a thousand transactions a request cannot take the member for itself.
 */
export const DEFAULT_TRANSACTION_LIMIT_PER_MINUTE = 60_000;

interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * The header as express would write it for `type('application/json')`: set whole, and the body
 * sent as bytes, express looks up no MIME type and parses no Content-Type to add the charset.
 */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * An answer to a read goes through express, which tags it with an ETag (a hash of the body), sends
 * 304 to a client that already holds it, and no body to HEAD. An answer to a write (a submitted
 * transaction, a refusal) is never asked for again by its tag, so it is written as it is: hashing
 * each one was about 2 % of a member's busy time at a request a transfer (docs/PERFORMANCE.md).
 */
function sendJson(response: Response, status: number, body: unknown): void {
  const bytes = Buffer.from(toWireJson(body));
  response.status(status).setHeader('Content-Type', JSON_CONTENT_TYPE);
  const method = response.req.method;
  if (method === 'GET' || method === 'HEAD') response.send(bytes);
  else response.setHeader('Content-Length', bytes.length).end(bytes);
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ValidationError('bad-request', `${part}: invalid`);
  const field = [part, ...issue.path.map(String)].join('.');
  const given = issue.path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | undefined)?.[key], value);
  throw new ValidationError('bad-request', `${field}: ${part === 'body' ? issue.message : pathOrQueryWords(issue, given)}`);
}

/**
 * A number in a path or query comes as text, every one of them a whole number; zod's words for
 * one that is not (`expected number, received NaN`) name neither what is wanted nor what came.
 */
function pathOrQueryWords(issue: z.core.$ZodIssue, given: unknown): string {
  const shown = given === undefined ? 'nothing' : JSON.stringify(given);
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) return `expected a whole number, got ${shown}`;
  if (issue.code === 'too_small' && issue.origin === 'number') return `expected a whole number of at least ${issue.minimum}, got ${shown}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `expected a whole number of at most ${issue.maximum}, got ${shown}`;
  return issue.message;
}

/**
 * Seconds a client is asked to wait while the member's database or Bitcoin node is out of reach:
 * the member retries its database every second and asks its node again at its next poll, and
 * catches up within seconds once either is back.
 */
const RETRY_AFTER_SECONDS = 5;

const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'the request body is not valid JSON',
  'entity.too.large': 'request body too large',
  'encoding.unsupported': 'unsupported Content-Encoding: send the body as is, or gzip or deflate it',
  'charset.unsupported': 'unsupported charset: send the body as UTF-8',
  'request.size.invalid': 'the request body is shorter or longer than its Content-Length',
  'request.aborted': 'the request was aborted before its body was whole',
};

/** Maps every error to one consistent body; the mapping lives here and nowhere else. */
export function errorStatus(error: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof HttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } }, ...(error.headers && { headers: error.headers }) };
  // The member's own node failing is not the client's doing; the node's URL stays in the member's log.
  if (isNodeUnavailable(error)) return unavailable('bitcoin-unavailable', 'its Bitcoin node');
  if (error instanceof StrongboxError) return { status: 400, body: { error: { code: error.code, message: error.message } } };
  if (isDatabaseUnavailable(error)) return unavailable('database-unavailable', 'its database');
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // body-parser's own errors, told apart by their type, and a path express cannot decode.
    const message = error instanceof URIError ? 'malformed URL: a %-escape that decodes to no text' : (BODY_ERRORS[String(type)] ?? 'malformed request body');
    return { status, body: { error: { code: status === 413 ? 'too-large' : 'bad-request', message } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

/** 503: the member cannot reach what it needs to answer; the request may succeed later or at another member. */
function unavailable(code: string, what: string): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const message = `this member cannot reach ${what} at the moment; retry in ${RETRY_AFTER_SECONDS} s or ask another member`;
  return { status: 503, body: { error: { code, message } }, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
}

/**
 * At most `perMinute` requests from one client address; beyond it a 429 naming the limit, with
 * Retry-After. Only the API-wide limit announces its policy in RateLimit headers: a route's own
 * would overwrite them.
 */
function requestLimit(perMinute: number, what: string, property: string, announce: boolean) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: announce ? 'draft-7' : false,
    legacyHeaders: false,
    requestPropertyName: property,
    handler: (request, response) => {
      const resetTime = (request as unknown as Record<string, { resetTime?: Date } | undefined>)[property]?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
      response.set('Retry-After', String(seconds));
      sendJson(response, 429, { error: { code: 'rate-limited', message: `too many ${what} from this client: at most ${perMinute} a minute; retry in ${seconds} s` } });
    },
  });
}

export function createApiApp(routes: Route[], options: ApiOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Before the body parser, so a flooding client costs the least possible.
  app.use(requestLimit(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE, 'requests', 'rateLimit', true));
  app.use(express.json({ limit: options.bodyLimitBytes ?? 1_048_576, strict: true }));
  const transactionBudget = new TransactionBudget(options.transactionLimitPerMinute ?? DEFAULT_TRANSACTION_LIMIT_PER_MINUTE);

  for (const route of routes) {
    const ownLimit = route.limitPerMinute === undefined ? [] : [requestLimit(route.limitPerMinute, `requests to ${route.method.toUpperCase()} ${route.path}`, 'routeRateLimit', false)];
    app[route.method](route.path, ...ownLimit, async (request: Request, response: Response, next: NextFunction) => {
      try {
        // Without it the JSON parser leaves the body empty, and the refusal would name a missing field.
        // The parser leaves it undefined exactly when there is no body or it is not JSON, which is
        // what checking the Content-Type again here would find, at a second parse of the header.
        if (route.body && request.body === undefined) throw new HttpError(415, 'bad-content-type', `send the body as JSON, with Content-Type: application/json (got ${request.headers['content-type'] ?? 'none'})`);
        const params = parsePart(route.params, request.params, 'params');
        const query = parsePart(route.query, request.query, 'query');
        const body = parsePart(route.body, request.body ?? {}, 'body');
        if (route.transactions) transactionBudget.take(request.ip ?? request.socket.remoteAddress ?? 'unknown', route.transactions(body));
        const result = await route.handler({ params, query, body, authorization: request.headers.authorization });
        sendJson(response, route.status ?? 200, result);
      } catch (error) {
        next(error);
      }
    });
  }

  options.mount?.(app);
  app.use((request: Request, response: Response) => {
    sendJson(response, 404, { error: { code: 'not-found', message: `no route ${request.method} ${request.path}` } });
  });
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const { status, body, headers } = errorStatus(error);
    if (status === 500) options.onInternalError?.(error, request);
    if (headers) response.set(headers);
    sendJson(response, status, body);
  });
  return app;
}
