import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { buildOpenApiDocument } from '../../federation/api/openapi.ts';
import { defineRoute, NotFoundError } from '../../federation/api/route.ts';
import { RpcAuthError, RpcUnreachableError } from '../../watcher/errors.ts';

describe('HTTP API framework', () => {
  const stored: bigint[] = [];
  const routes = [
    defineRoute({
      method: 'post',
      path: '/amounts',
      summary: 'store an amount',
      tag: 'test',
      status: 201,
      body: z.object({ amount: z.string().regex(/^[1-9][0-9]*$/, 'expected a positive integer as a decimal string') }),
      handler: ({ body }) => {
        stored.push(BigInt(body.amount));
        return { amount: BigInt(body.amount), count: stored.length };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/amounts/:index',
      summary: 'read an amount',
      tag: 'test',
      params: z.object({ index: z.coerce.number().int().min(0) }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(10).optional() }),
      response: z.strictObject({ amount: z.string().regex(/^[0-9]+$/).describe('the amount as a decimal string') }),
      handler: ({ params }) => {
        const amount = stored[params.index];
        if (amount === undefined) throw new NotFoundError(`amount ${params.index}`);
        return { amount };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/bitcoin/:failure',
      summary: "a read that asks the member's Bitcoin node, which fails",
      tag: 'test',
      params: z.object({ failure: z.enum(['unreachable', 'credentials']) }),
      handler: ({ params }) => {
        const node = 'http://127.0.0.1:18443';
        throw params.failure === 'unreachable' ? new RpcUnreachableError(node, 'connection refused') : new RpcAuthError(node);
      },
    }),
  ];
  let server: Server;
  let base: string;

  before(async () => {
    const app = createApiApp(routes, { bodyLimitBytes: 1024 });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const post = (body: string) => fetch(`${base}/amounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('serves bigint amounts as exact decimal strings', async () => {
    const response = await post(JSON.stringify({ amount: '18446744073709551617' }));
    expect(response.status).to.equal(201);
    expect(await response.json()).to.deep.equal({ amount: '18446744073709551617', count: 1 });
  });

  it('answers 400 naming the field for invalid input and changes nothing', async () => {
    const response = await post(JSON.stringify({ amount: '-5' }));
    expect(response.status).to.equal(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('bad-request');
    expect(body.error.message).to.match(/^body\.amount: expected a positive integer/);
    expect(stored).to.have.length(1);
  });

  it('says of a number in the path or the query what it expects and what it got', async () => {
    const refusal = async (index: string) => {
      const response = await fetch(`${base}/amounts/${index}`);
      return [response.status, await response.json()];
    };
    expect(await refusal('abc')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.index: expected a whole number, got "abc"' } }]);
    expect(await refusal('1.5')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.index: expected a whole number, got "1.5"' } }]);
    expect(await refusal('-1')).to.deep.equal([400, { error: { code: 'bad-request', message: 'params.index: expected a whole number of at least 0, got "-1"' } }]);
    expect(await refusal('0?limit=abc')).to.deep.equal([400, { error: { code: 'bad-request', message: 'query.limit: expected a whole number, got "abc"' } }]);
    expect(await refusal('0?limit=11')).to.deep.equal([400, { error: { code: 'bad-request', message: 'query.limit: expected a whole number of at most 10, got "11"' } }]);
    expect(await refusal('0?limit=')).to.deep.equal([400, { error: { code: 'bad-request', message: 'query.limit: expected a whole number of at least 1, got ""' } }]);
  });

  it('answers 400 for malformed JSON and 413 for an oversized body', async () => {
    expect((await post('{"amount":')).status).to.equal(400);
    const large = await post(JSON.stringify({ amount: '1'.repeat(2000) }));
    expect(large.status).to.equal(413);
    expect(((await large.json()) as { error: { code: string } }).error.code).to.equal('too-large');
    expect(stored).to.have.length(1);
  });

  it('says what is wrong with a body that is not JSON, a path it cannot decode, and an encoding it does not know', async () => {
    const answer = async (response: Response) => [response.status, await response.json()];
    expect(await answer(await fetch(`${base}/amounts`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"amount":"5"}' }))).to.deep.equal([415, { error: { code: 'bad-content-type', message: 'send the body as JSON, with Content-Type: application/json (got text/plain)' } }]);
    expect(await answer(await post('{"amount":'))).to.deep.equal([400, { error: { code: 'bad-request', message: 'the request body is not valid JSON' } }]);
    expect(await answer(await fetch(`${base}/amounts/%ZZ`))).to.deep.equal([400, { error: { code: 'bad-request', message: 'malformed URL: a %-escape that decodes to no text' } }]);
    expect(await answer(await fetch(`${base}/amounts`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br2' }, body: '{}' }))).to.deep.equal([415, { error: { code: 'bad-request', message: 'unsupported Content-Encoding: send the body as is, or gzip or deflate it' } }]);
    expect(stored).to.have.length(1);
  });

  it("tags a read's answer for the client to ask again with If-None-Match, and sends a write's answer untagged", async () => {
    const written = await post(JSON.stringify({ amount: '7' }));
    const writtenBody = await written.text();
    expect(written.status).to.equal(201);
    expect(written.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(written.headers.get('content-length')).to.equal(String(Buffer.byteLength(writtenBody)));
    expect(written.headers.get('etag'), 'a write is never asked for again by its tag').to.equal(null);
    const index = JSON.parse(writtenBody).count - 1;

    const read = await fetch(`${base}/amounts/${index}`);
    expect(read.status).to.equal(200);
    expect(await read.json()).to.deep.equal({ amount: '7' });
    const tag = read.headers.get('etag');
    expect(tag).to.be.a('string');
    const again = await fetch(`${base}/amounts/${index}`, { headers: { 'if-none-match': tag!, 'cache-control': 'max-age=0' } });
    expect(again.status).to.equal(304);
    const head = await fetch(`${base}/amounts/${index}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('etag'), await head.text()]).to.deep.equal([200, tag, '']);
  });

  it('answers 404 with the same error shape for unknown resources and routes', async () => {
    const missing = await fetch(`${base}/amounts/7`);
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.deep.equal({ error: { code: 'not-found', message: 'amount 7 not found' } });
    expect((await fetch(`${base}/nowhere`)).status).to.equal(404);
  });

  it("answers 503 with Retry-After when the member's Bitcoin node cannot be asked, which is not the client's doing, and names no node", async () => {
    for (const failure of ['unreachable', 'credentials']) {
      const response = await fetch(`${base}/bitcoin/${failure}`);
      expect(response.status, failure).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('5');
      const message = 'this member cannot reach its Bitcoin node at the moment; retry in 5 s or ask another member';
      expect(await response.json()).to.deep.equal({ error: { code: 'bitcoin-unavailable', message } });
    }
  });

  it('documents every route in the OpenAPI document with its parameters', () => {
    const document = buildOpenApiDocument(routes, { title: 't', version: '1' }) as { paths: Record<string, Record<string, { parameters: { name: string }[] }>> };
    expect(Object.keys(document.paths)).to.deep.equal(['/amounts', '/amounts/{index}', '/bitcoin/{failure}']);
    expect(document.paths['/amounts/{index}']?.get?.parameters.map((p) => p.name)).to.deep.equal(['index', 'limit']);
  });

  it('documents the answer of a route that has a response schema, and the error body of every route', () => {
    type Responses = Record<string, { content?: { 'application/json': { schema: unknown } } }>;
    const document = buildOpenApiDocument(routes, { title: 't', version: '1' }) as { paths: Record<string, Record<string, { responses: Responses }>> };
    const read = document.paths['/amounts/{index}']!.get!.responses;
    expect(read['200']?.content?.['application/json'].schema).to.deep.equal({
      type: 'object',
      properties: { amount: { type: 'string', pattern: '^[0-9]+$', description: 'the amount as a decimal string' } },
      required: ['amount'],
      additionalProperties: false,
    });
    expect(document.paths['/amounts']!.post!.responses['201']?.content, 'no schema, no content').to.equal(undefined);
    for (const responses of [read, document.paths['/amounts']!.post!.responses]) {
      expect(responses['4XX']?.content?.['application/json'].schema).to.deep.include({ required: ['error'], additionalProperties: false });
    }
  });
});
