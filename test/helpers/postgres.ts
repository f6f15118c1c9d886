import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../../federation/postgres/embedded-server.ts';
import { isAlive, takeOverStaleServer } from '../../federation/postgres/stale-server.ts';
import { onTestRunEnd } from './cleanup.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

const FOLDER_PREFIX = 'strongbox-test-pg-';

let shared: Promise<PostgresServer> | undefined;

/**
 * One real PostgreSQL server for the whole test run (for each file in parallel mode), in a fresh
 * folder under the system temp directory (whose parents the `postgres` user can enter when the
 * tests run as root).
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= (async () => {
    await removeFoldersOfDeadRuns();
    const root = join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(root);
    chmodSync(root, 0o755); // whatever the umask
    const server = await startPostgresServer({ dataDir: join(root, 'cluster'), durable: false });
    onTestRunEnd(async () => {
      shared = undefined;
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    });
    return server;
  })();
  return shared;
}

/**
 * A test run that is killed (Ctrl-C, a timeout killing its process group) never reaches its
 * clean-up; the next run stops any server such a run left behind and removes its folder.
 */
async function removeFoldersOfDeadRuns(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    const root = join(tmpdir(), entry);
    await takeOverStaleServer(join(root, 'cluster'), 15_000);
    rmSync(root, { recursive: true, force: true });
  }
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
      await endPool(pool);
      await server.dropDatabase(name);
    },
  };
}
