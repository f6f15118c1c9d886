import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * A refusal of the body, told apart by its `type` as body-parser tells its own, so the API's one
 * error mapping (`errorStatus`) answers it as it answers body-parser's.
 */
class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
  ) {
    super(type);
  }
}

/** The first character after JSON's whitespace, which strict parsing requires to open an object or an array. */
const FIRST_CHARACTER = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/;
const BYTE_ORDER_MARK = '\ufeff';

/**
 * The request body as JSON, into `request.body`, with at most `limitBytes`. Nearly every body a
 * member receives is plain: `Content-Type: application/json` exactly, a `Content-Length` within
 * the limit, not compressed. Such a body is read here in a few lines; body-parser's chain
 * (parsing the Content-Type and the charset, raw-body, iconv-lite, on-finished) was a tenth of a
 * lone `POST /tx`'s cost (docs/PERFORMANCE.md). Every other request goes to body-parser as
 * before, so a body too large, compressed, in another charset or of another type is answered by
 * it; a plain one is parsed as body-parser parses it (strict: an object or an array, an empty
 * body as `{}`, a leading byte-order mark dropped) and refused with the same errors.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parser = express.json({ limit: limitBytes, strict: true });
  return (request: Request, response: Response, next: NextFunction) => {
    const length = plainLength(request, limitBytes);
    if (length === undefined) return parser(request, response, next);
    readText(request, length).then((text) => {
      try {
        request.body = parseStrict(text);
      } catch {
        return next(new BodyError(400, 'entity.parse.failed'));
      }
      next();
    }, next);
  };
}

/** The body's declared length if the request is plain JSON within the limit; undefined otherwise. */
function plainLength(request: IncomingMessage, limitBytes: number): number | undefined {
  const { headers } = request;
  // A request already over (its client gone) goes to body-parser, which leaves it without a body.
  if (request.readableEnded || request.destroyed) return undefined;
  if (headers['content-type'] !== 'application/json' || headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d{1,9}$/.test(declared)) return undefined;
  const length = Number(declared);
  return length <= limitBytes ? length : undefined;
}

/** The body as UTF-8 text: Node's HTTP parser hands over exactly `length` bytes, or the request is aborted. */
function readText(request: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const aborted = () => reject(new BodyError(400, 'request.aborted'));
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('error', aborted);
    request.once('close', () => {
      if (!request.complete) aborted();
    });
    request.once('end', () => resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)).toString('utf8')));
  });
}

function parseStrict(text: string): unknown {
  const json = text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
  if (json.length === 0) return {};
  const first = FIRST_CHARACTER.exec(json)?.[1];
  if (first !== '{' && first !== '[') throw new SyntaxError('a JSON body is an object or an array');
  return JSON.parse(json);
}
