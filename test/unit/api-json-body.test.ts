import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { request as httpRequest, type Server } from 'node:http';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { defineRoute } from '../../federation/api/route.ts';

/**
 * A plain JSON body (Content-Type exactly `application/json`, a Content-Length, not compressed) is
 * read by the API itself; any other goes through body-parser. The two must be indistinguishable:
 * each case sends the same bytes both ways and expects the same answer, written out here.
 */
describe('request bodies read as JSON, plain or not', () => {
  const routes = [
    defineRoute({
      method: 'post',
      path: '/echo',
      summary: 'echo the body',
      tag: 'test',
      body: z.object({ text: z.string() }).strict(),
      handler: ({ body }) => ({ text: body.text }),
    }),
  ];
  let server: Server;
  let port: number;
  before(async () => {
    server = createApiApp(routes, { bodyLimitBytes: 64 }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  function post(contentType: string, body: Buffer): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const sent = httpRequest({ host: '127.0.0.1', port, path: '/echo', method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      sent.on('error', reject);
      sent.end(body);
    });
  }

  const malformed = { error: { code: 'bad-request', message: 'the request body is not valid JSON' } };
  const cases: { name: string; body: Buffer; status: number; answer: unknown }[] = [
    { name: 'an object', body: Buffer.from('{"text":"ok"}'), status: 200, answer: { text: 'ok' } },
    { name: 'an object after whitespace', body: Buffer.from(' \t\r\n{"text":"ok"}'), status: 200, answer: { text: 'ok' } },
    { name: 'text in UTF-8', body: Buffer.from('{"text":"Öresund €"}'), status: 200, answer: { text: 'Öresund €' } },
    { name: 'a byte-order mark before the object', body: Buffer.from('\ufeff{"text":"ok"}'), status: 200, answer: { text: 'ok' } },
    { name: 'bytes that are not UTF-8, read as replacement characters', body: Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), status: 200, answer: { text: '\ufffd' } },
    { name: 'an empty body, read as an empty object', body: Buffer.alloc(0), status: 400, answer: { error: { code: 'bad-request', message: 'body.text: Invalid input: expected string, received undefined' } } },
    { name: 'a byte-order mark alone, read as an empty object', body: Buffer.from('\ufeff'), status: 400, answer: { error: { code: 'bad-request', message: 'body.text: Invalid input: expected string, received undefined' } } },
    { name: 'an array', body: Buffer.from('[]'), status: 400, answer: { error: { code: 'bad-request', message: 'body: Invalid input: expected object, received array' } } },
    { name: 'a string, which strict parsing refuses', body: Buffer.from('"ok"'), status: 400, answer: malformed },
    { name: 'a number after whitespace', body: Buffer.from(' 12'), status: 400, answer: malformed },
    { name: 'whitespace alone', body: Buffer.from('   '), status: 400, answer: malformed },
    { name: 'an object cut short', body: Buffer.from('{"text":'), status: 400, answer: malformed },
    { name: 'a body above the limit', body: Buffer.from(JSON.stringify({ text: 'x'.repeat(64) })), status: 413, answer: { error: { code: 'too-large', message: 'request body too large' } } },
  ];
  for (const { name, body, status, answer } of cases) {
    it(`answers ${status} to ${name}, sent as plain JSON or with a charset`, async () => {
      for (const contentType of ['application/json', 'application/json; charset=utf-8']) {
        const answered = await post(contentType, body);
        expect(answered, contentType).to.deep.equal({ status, body: answer });
      }
    });
  }
});
