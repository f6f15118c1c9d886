import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../../federation/postgres/embedded-server.ts';
import { isAlive, takeOverStaleServer } from '../../federation/postgres/stale-server.ts';
import { onTestRunEnd } from './cleanup.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

const FOLDER_PREFIX = 'strongbox-test-pg-';

let shared: Promise<PostgresServer> | undefined;
let initialised: Promise<string> | undefined;

/**
 * A fresh folder of this run under the system temp directory (whose parents the `postgres` user
 * can enter when the tests run as root), removed after the run.
 */
async function runFolder(): Promise<string> {
  await removeFoldersOfDeadRuns();
  const root = join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(root);
  chmodSync(root, 0o755); // whatever the umask
  onTestRunEnd(async () => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** One real PostgreSQL server for the whole test run (for each file in parallel mode). */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= (async () => {
    const root = await runFolder();
    const server = await startPostgresServer({ dataDir: join(root, 'cluster'), durable: false });
    onTestRunEnd(async () => {
      shared = undefined;
      await server.stop();
    });
    return server;
  })();
  return shared;
}

/**
 * A cluster that initdb made once for the whole run (for each file in parallel mode), its server
 * stopped cleanly. initdb is most of what a new Postgres server's start costs (2.8 s of 2.9 s,
 * against 0.1 s for a server on an existing cluster), and every test network would pay it.
 */
function initialisedCluster(): Promise<string> {
  initialised ??= (async () => {
    const cluster = join(await runFolder(), 'cluster');
    await (await startPostgresServer({ dataDir: cluster })).stop();
    onTestRunEnd(async () => {
      initialised = undefined;
    });
    return cluster;
  })();
  return initialised;
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
