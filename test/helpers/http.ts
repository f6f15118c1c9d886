import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP request through node:http, which (unlike fetch) can send from a chosen loopback
 * address — 127.0.0.2, 127.0.0.3 … act as separate clients — and sends paths, methods and
 * bodies exactly as given, however malformed.
 */
export function httpRequest(url: string, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; from?: string } = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: options.method ?? 'GET',
        path: options.path ?? target.pathname,
        // Framed by its length whatever the method: node sends GET, DELETE and OPTIONS bodies unframed.
        headers: options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        ...(options.from ? { localAddress: options.from } : {}),
        agent: false,
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within 30 s`)));
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The error body every Strongbox API refusal has. */
export function errorOf(answer: HttpAnswer): { code: string; message: string } {
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') throw new Error(`not an error body: ${answer.text.slice(0, 200)}`);
  return { code: body.error.code, message: body.error.message };
}
