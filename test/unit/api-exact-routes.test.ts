import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { z } from 'zod';
import { createApiApp } from '../../federation/api/app.ts';
import { defineRoute } from '../../federation/api/route.ts';

/**
 * A request whose URL is exactly a route's path is found by a map rather than by the router: it
 * must reach the route the router would pick, with the route's own limit, and every other
 * spelling of the path must still reach it through the router.
 */
describe('routes found by their exact path', () => {
  const answered = (by: string) => () => ({ by });
  const routes = [
    defineRoute({ method: 'get', path: '/items/:id', summary: 'an item', tag: 'test', params: z.object({ id: z.string() }), handler: ({ params }) => ({ by: `item ${params.id}` }) }),
    defineRoute({ method: 'get', path: '/items/latest', summary: 'never reached: the route above matches first', tag: 'test', handler: answered('latest') }),
    defineRoute({ method: 'post', path: '/Orders', summary: 'place an order', tag: 'test', limitPerMinute: 2, handler: answered('first orders route') }),
    defineRoute({ method: 'post', path: '/orders', summary: 'never reached: the route above has the same path', tag: 'test', handler: answered('second orders route') }),
    defineRoute({ method: 'get', path: '/orders', summary: 'list orders', tag: 'test', handler: answered('order list') }),
  ];
  let server: Server;
  let base: string;
  before(async () => {
    server = createApiApp(routes).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const ask = async (method: string, path: string) => {
    const response = await fetch(`${base}${path}`, { method });
    return { status: response.status, body: await response.json() };
  };

  it('leaves a path to an earlier route with parameters that matches it', async () => {
    expect(await ask('GET', '/items/latest')).to.deep.equal({ status: 200, body: { by: 'item latest' } });
  });

  it('answers by the first route of a method and path, whatever the spelling, and by the route of the method asked', async () => {
    expect(await ask('GET', '/orders')).to.deep.equal({ status: 200, body: { by: 'order list' } });
    expect(await ask('POST', '/orders')).to.deep.equal({ status: 200, body: { by: 'first orders route' } });
    expect(await ask('POST', '/ORDERS/?from=1')).to.deep.equal({ status: 200, body: { by: 'first orders route' } });
  });

  it("holds the route to its own limit, counted alike however its path is spelt", async () => {
    const refused = await ask('POST', '/Orders');
    expect(refused.status).to.equal(429);
    expect(refused.body.error.code).to.equal('rate-limited');
    expect((await ask('GET', '/orders')).status).to.equal(200);
  });
});
