import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { defineRoute, HttpError } from '../../federation/api/route.ts';
import { TransactionBudget } from '../../federation/api/transaction-budget.ts';
import { errorOf, httpRequest } from '../helpers/http.ts';

describe('HTTP API limits', () => {
  let served = 0;
  let admitted = 0;
  let registered = 0;
  const routes = [
    defineRoute({ method: 'get', path: '/ping', summary: 'answer', tag: 'test', handler: () => ({ served: ++served }) }),
    defineRoute({ method: 'post', path: '/submit', summary: 'count', tag: 'test', body: z.object({ transactions: z.array(z.string()) }).strict(), transactions: (body) => body.transactions.length, handler: ({ body }) => ({ admitted: (admitted += body.transactions.length) }) }),
    defineRoute({ method: 'post', path: '/register', summary: 'limited', tag: 'test', limitPerMinute: 2, handler: () => ({ registered: ++registered }) }),
    defineRoute({ method: 'post', path: '/echo', summary: 'echo', tag: 'test', body: z.object({ text: z.string() }).strict(), handler: ({ body }) => ({ length: body.text.length }) }),
  ];
  let server: Server;
  let base: string;

  before(async () => {
    server = createApiApp(routes, { rateLimitPerMinute: 5, transactionLimitPerMinute: 10, bodyLimitBytes: 1024 }).listen(0, '127.0.0.1');
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

  it('counts submitted transactions, not requests, against a client: a batch beyond what is left is refused whole, before its handler', async () => {
    const submit = (from: string, count: number) =>
      httpRequest(`${base}/submit`, { method: 'POST', from, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transactions: Array.from({ length: count }, (_, i) => `t${i}`) }) });
    expect((await submit('127.0.0.6', 4)).status).to.equal(200);
    expect((await submit('127.0.0.6', 4)).status).to.equal(200);
    const before = admitted;
    const refused = await submit('127.0.0.6', 3);
    expect(refused.status).to.equal(429);
    expect(errorOf(refused).code).to.equal('rate-limited');
    expect(errorOf(refused).message).to.match(/^too many transactions from this client: at most 10 a minute, 2 left; retry in \d+ s$/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(admitted).to.equal(before);
    expect((await submit('127.0.0.6', 2)).status).to.equal(200);
    expect((await submit('127.0.0.7', 10)).status).to.equal(200);
    const tooLarge = await submit('127.0.0.8', 11);
    expect(tooLarge.status).to.equal(429);
    expect(errorOf(tooLarge).message).to.equal('this request submits 11 transactions, more than the 10 one client may submit a minute; send fewer at a time');
  });

  it('gives every client a new transaction budget each minute', () => {
    let now = 1_000;
    const budget = new TransactionBudget(3, () => now);
    budget.take('a', 3);
    expect(() => budget.take('a', 1)).to.throw(HttpError, 'retry in 60 s').with.property('status', 429);
    now += 59_001;
    expect(() => budget.take('a', 1)).to.throw(HttpError, 'retry in 1 s');
    now += 1_000;
    budget.take('a', 3);
    budget.take('b', 3);
  });

  it("holds a route with a limit of its own to it, and leaves the client's other routes served", async () => {
    for (let i = 0; i < 2; i++) expect((await httpRequest(`${base}/register`, { method: 'POST', from: '127.0.0.9' })).status).to.equal(200);
    const refused = await httpRequest(`${base}/register`, { method: 'POST', from: '127.0.0.9' });
    expect(refused.status).to.equal(429);
    expect(errorOf(refused).message).to.match(/^too many requests to POST \/register from this client: at most 2 a minute; retry in \d+ s$/);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(registered).to.equal(2);
    expect((await httpRequest(`${base}/ping`, { from: '127.0.0.9' })).status).to.equal(200);
    expect((await httpRequest(`${base}/register`, { method: 'POST', from: '127.0.0.10' })).status).to.equal(200);
  });

  it('refuses a body above the limit with 413 before any handler runs', async () => {
    const answer = await httpRequest(`${base}/echo`, { method: 'POST', from: '127.0.0.5', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(2000) }) });
    expect(answer.status).to.equal(413);
    expect(errorOf(answer)).to.deep.equal({ code: 'too-large', message: 'request body too large' });
  });
});
