import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { endPool } from '../../federation/postgres/end-pool.ts';
import { createApiApp } from '../../federation/api/app.ts';
import { isDatabaseUnavailable } from '../../federation/postgres/database-unavailable.ts';
import { listRoutes } from '../../federation/api/list-routes.ts';
import { defineRoute } from '../../federation/api/route.ts';
import type { PostgresServer } from '../../federation/postgres/embedded-server.ts';
import { LedgerState } from '../../sidechain/ledger/index.ts';
import { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import { findFreePort } from '../../regtest/free-port.ts';
import { withDatabaseDown } from '../helpers/database-outage.ts';
import { refusedPort } from '../helpers/refused-port.ts';
import { eventually } from '../helpers/local-network.ts';
import { sharedPostgres, type TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';

/** The rejection `attempt` ends with; fails the test when it succeeds. */
async function failureOf(attempt: () => Promise<unknown>): Promise<unknown> {
  try {
    await attempt();
  } catch (error) {
    return error;
  }
  throw new Error('expected the attempt to fail');
}

describe("a member's API while its database is out of reach", function () {
  this.timeout(60_000);
  let server: PostgresServer;
  let db: TestDatabase;
  let api: Server;
  let base: string;
  const internalErrors: unknown[] = [];
  // Idle connections the outage ends are reported on the pool; the member logs them.
  const poolErrors: Error[] = [];

  before(async () => {
    server = await sharedPostgres();
    ({ db } = await chainFixture('outage'));
    db.pool.on('error', (error) => poolErrors.push(error));
    const routes = [
      ...listRoutes({ queries: new ChainQueries(db.pool), ledger: new LedgerState(), tipHeight: () => 0 }),
      // A statement that is wrong whatever the database's state: a bug, which must stay a 500.
      defineRoute({ method: 'get', path: '/wrong-statement', summary: 'a query of a table that does not exist', tag: 'test', handler: () => db.pool.query('SELECT * FROM no_such_table') }),
    ];
    const app = createApiApp(routes, { onInternalError: (error) => internalErrors.push(error) });
    api = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => api.once('listening', resolve));
    base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => api?.close(resolve));
    await db?.drop();
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
  };

  it('answers 503 database-unavailable with Retry-After while the database refuses connections, and 200 once it is back', async () => {
    expect((await get('/blocks')).status, 'before the outage').to.equal(200);
    const during = await withDatabaseDown(server, db.name, () => get('/blocks'));
    expect(during.status).to.equal(503);
    expect(during.retryAfter).to.equal('5');
    expect(during.text).to.not.include('\n');
    expect(JSON.parse(during.text)).to.deep.equal({
      error: { code: 'database-unavailable', message: 'this member cannot reach its database at the moment; retry in 5 s or ask another member' },
    });
    const after = await get('/blocks');
    expect(after.status, 'once the database is back').to.equal(200);
    expect(JSON.parse(after.text)).to.deep.equal({ blocks: [], next: null });
    expect(internalErrors, 'nothing reported as a bug').to.deep.equal([]);
    expect(poolErrors.filter((error) => !isDatabaseUnavailable(error)), 'pool errors other than the outage').to.deep.equal([]);
  });

  it('still answers 500 for a statement that fails while the database is up', async () => {
    const response = await get('/wrong-statement');
    expect(response.status).to.equal(500);
    expect(response.retryAfter).to.equal(null);
    expect(JSON.parse(response.text)).to.deep.equal({ error: { code: 'internal', message: 'internal error' } });
    expect(internalErrors).to.have.length(1);
    expect((internalErrors[0] as pg.DatabaseError).code).to.equal('42P01');
    internalErrors.length = 0;
  });

  describe('which errors of the real server count as the database being out of reach', () => {
    const cases: { what: string; unavailable: boolean; error: () => Promise<unknown> }[] = [
      { what: 'a database that refuses connections (55000, FATAL)', unavailable: true, error: () => withDatabaseDown(server, db.name, () => failureOf(() => db.pool.query('SELECT 1'))) },
      { what: 'a statement whose backend is terminated (57P01)', unavailable: true, error: terminatedStatement },
      { what: 'a port where no server listens (ECONNREFUSED)', unavailable: true, error: refusedConnection },
      { what: 'a socket folder whose server has stopped and removed its socket (ENOENT)', unavailable: true, error: removedSocket },
      { what: 'a pool whose every connection stays busy past its connection timeout', unavailable: true, error: poolTimeout },
      { what: 'a table that does not exist (42P01)', unavailable: false, error: () => failureOf(() => db.pool.query('SELECT * FROM no_such_table')) },
      { what: 'a statement error that shares 55000 with a refused database (currval before nextval)', unavailable: false, error: currvalBeforeNextval },
      { what: 'a syntax error (42601)', unavailable: false, error: () => failureOf(() => db.pool.query('SELEC 1')) },
      { what: 'a TypeError', unavailable: false, error: () => failureOf(async () => (null as unknown as { rows: unknown[] }).rows) },
      { what: 'a value that is not an Error', unavailable: false, error: async () => 'connection refused' },
    ];
    for (const { what, unavailable, error } of cases) {
      it(`${what}: ${unavailable ? 'unavailable (503)' : 'not unavailable'}`, async () => {
        expect(isDatabaseUnavailable(await error())).to.equal(unavailable);
      });
    }

    async function terminatedStatement(): Promise<unknown> {
      const client = new pg.Client({ connectionString: db.url });
      client.on('error', () => undefined); // the ended connection is what this case is about
      await client.connect();
      const pid = ((await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
      const sleeping = failureOf(() => client.query('SELECT pg_sleep(60)'));
      await eventually('the statement running', async () => (await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid])).rowCount === 1);
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      return sleeping;
    }

    async function refusedConnection(): Promise<unknown> {
      const port = await refusedPort();
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'nobody', database: 'nothing' });
      return failureOf(() => client.connect());
    }

    // How a stopped embedded server looks to its members, which reach it over its Unix-domain socket.
    async function removedSocket(): Promise<unknown> {
      const folder = mkdtempSync(join(tmpdir(), 'no-server-'));
      try {
        const client = new pg.Client({ host: folder, port: await findFreePort(), user: 'nobody', database: 'nothing' });
        return await failureOf(() => client.connect());
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }

    async function poolTimeout(): Promise<unknown> {
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      const held = await pool.connect();
      // The timeout is the wait for a busy pool's connection, set once the one connection is held:
      // set before, it bounded that connection's own set-up too, which a loaded machine can take
      // longer than 50 ms over.
      pool.options.connectionTimeoutMillis = 50;
      try {
        return await failureOf(() => pool.query('SELECT 1'));
      } finally {
        held.release();
        await endPool(pool);
      }
    }

    async function currvalBeforeNextval(): Promise<unknown> {
      await db.pool.query('CREATE SEQUENCE IF NOT EXISTS never_drawn');
      const error = await failureOf(() => db.pool.query("SELECT currval('never_drawn')"));
      expect((error as pg.DatabaseError).code).to.equal('55000');
      return error;
    }
  });
});
