import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../../federation/postgres/embedded-server.ts';
import { onTestRunEnd } from './cleanup.ts';

let shared: Promise<PostgresServer> | undefined;

/**
 * One real PostgreSQL server for the whole test run, in a fresh folder under the system temp
 * directory (whose parents the `postgres` user can enter when the tests run as root).
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= (async () => {
    const root = join(tmpdir(), `strongbox-test-pg-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(root);
    chmodSync(root, 0o755); // whatever the umask
    const server = await startPostgresServer({ dataDir: join(root, 'cluster'), durable: false });
    onTestRunEnd(async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    });
    return server;
  })();
  return shared;
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A new, empty database on the shared server. */
export async function freshDatabase(prefix: string): Promise<TestDatabase> {
  const server = await sharedPostgres();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await server.createDatabase(name);
  const url = server.connectionString(name);
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await server.dropDatabase(name);
    },
  };
}
