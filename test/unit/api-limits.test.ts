import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { defineRoute } from '../../federation/api/route.ts';
import { errorOf, httpRequest } from '../helpers/http.ts';

describe('HTTP API limits', () => {
  let served = 0;
  const routes = [
    defineRoute({ method: 'get', path: '/ping', summary: 'answer', tag: 'test', handler: () => ({ served: ++served }) }),
    defineRoute({ method: 'post', path: '/echo', summary: 'echo', tag: 'test', body: z.object({ text: z.string() }).strict(), handler: ({ body }) => ({ length: body.text.length }) }),
  ];
  let server: Server;
  let base: string;

  before(async () => {
    server = createApiApp(routes, { rateLimitPerMinute: 5, bodyLimitBytes: 1024 }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('answers 429 with a reason and Retry-After once one client exceeds its requests per minute, and serves other clients', async () => {
    const before = served;
    for (let i = 0; i < 5; i++) expect((await httpRequest(`${base}/ping`, { from: '127.0.0.2' })).status).to.equal(200);
    const refused = await httpRequest(`${base}/ping`, { from: '127.0.0.2' });
    expect(refused.status).to.equal(429);
    expect(errorOf(refused).code).to.equal('rate-limited');
    expect(errorOf(refused).message).to.match(/^too many requests from this client: at most 5 a minute; retry in \d+ s$/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    // A refused request never reaches its handler.
    expect(served).to.equal(before + 5);
    expect((await httpRequest(`${base}/ping`, { from: '127.0.0.3' })).status).to.equal(200);
  });

  it('counts refused and malformed requests too, so flooding with garbage is limited as well', async () => {
    for (let i = 0; i < 5; i++) expect((await httpRequest(`${base}/echo`, { method: 'POST', from: '127.0.0.4', headers: { 'content-type': 'application/json' }, body: '{' })).status).to.equal(400);
    expect((await httpRequest(`${base}/ping`, { from: '127.0.0.4' })).status).to.equal(429);
  });

  it('refuses a body above the limit with 413 before any handler runs', async () => {
    const answer = await httpRequest(`${base}/echo`, { method: 'POST', from: '127.0.0.5', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(2000) }) });
    expect(answer.status).to.equal(413);
    expect(errorOf(answer)).to.deep.equal({ code: 'too-large', message: 'request body too large' });
  });
});
