import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../../federation/postgres/embedded-server.ts';
import { onTestRunEnd } from './cleanup.ts';
import { madeOncePerRun, runFolder } from './run-folder.ts';
import { memberDatabaseName } from '../../federation/local-network/member-configs.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

let shared: Promise<PostgresServer> | undefined;

/**
 * One real PostgreSQL server for the whole test run (for each file in parallel mode), on a copy
 * of the run's initialised cluster: in parallel mode it starts once a file, and initdb would be
 * most of each start.
 */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= (async () => {
    const dataDir = join(await runFolder(), 'cluster');
    await placeInitialisedCluster(dataDir);
    const server = await startPostgresServer({ dataDir, durable: false });
    // The run's folder goes with the cluster right after: its clean-up was registered first, and they run last first.
    onTestRunEnd(async () => {
      shared = undefined;
      await server.stopForDeletion();
    });
    return server;
  })();
  return shared;
}

/** As many member databases as the largest test network has members. */
const MEMBER_DATABASES = 5;

/**
 * A cluster that initdb made once for the whole run (for both workers of a parallel run), with
 * the empty member databases a local network creates on it, its server stopped cleanly. initdb is
 * most of what a new Postgres server's start costs (2.8 s of 2.9 s, against 0.1 s for a server on
 * an existing cluster), and every test network would pay it; creating the databases one after the
 * other was most of the rest before the members' start.
 */
function initialisedCluster(): Promise<string> {
  return madeOncePerRun('cluster', async (cluster) => {
    const server = await startPostgresServer({ dataDir: cluster });
    for (let index = 0; index < MEMBER_DATABASES; index++) await server.createDatabase(memberDatabaseName(index));
    await server.stop();
  });
}

/**
 * Puts a copy of the run's initialised cluster, and its password file, at `dataDir`: a server
 * started there starts on it as on a cluster it made before, which is a copy of a stopped cluster
 * with its owners kept (cp -a: the `postgres` user's when the tests run as root).
 */
export async function placeInitialisedCluster(dataDir: string): Promise<void> {
  const cluster = await initialisedCluster();
  mkdirSync(dirname(dataDir), { recursive: true });
  chmodSync(dirname(dataDir), 0o755); // whatever the umask
  execFileSync('cp', ['-a', cluster, dataDir]);
  execFileSync('cp', ['-a', `${cluster}.password`, `${dataDir}.password`]);
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

/** The name of the database `url` reaches, read by connecting to it. */
export async function currentDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
  } finally {
    await client.end();
  }
}
