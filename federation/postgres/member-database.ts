import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { ConfigError, StrongboxError } from '../../sidechain/errors.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { MigrationError } from '../../sidechain/store/migrate.ts';
import type { MemberConfig } from '../config.ts';
import { throwIfStopRequested } from '../member/stop-request.ts';
import { runningServerUrl, startPostgresServer } from './embedded-server.ts';
import { serverStatus } from './postmaster-process.ts';
import { isAlive, postmasterPid, PostgresServerError } from './stale-server.ts';

export interface MemberDatabase {
  url: string;
  /** Settles when the embedded server this call started exits by itself; never for an external database. */
  lost: Promise<Error>;
  /** Stops the embedded server this call started; nothing to stop for an external database. */
  stop(): Promise<void>;
}

/** An external server is the operator's to restart; the member waits for it. */
const NEVER_LOST = new Promise<Error>(() => undefined);
const SERVER_WATCH_MS = 1_000;

/**
 * Settles with `reason` once the server of `cluster` exits or shuts down. Whoever started it (a
 * member on its own server, `up` for a local network's members) is the only one to start it
 * again: members left running without it (its postmaster killed, the machine's out-of-memory
 * killer, its folder deleted) would retry their database forever. They stop instead, with the
 * reason, and a start brings the server back. A server asked to shut down (pg_ctl stop, a
 * SIGTERM: a smart shutdown) turns every new connection away while it waits for the members'
 * sessions to end, which they would not: they stop then too.
 */
export function serverExit(cluster: string, reason: string): { exited: Promise<Error>; unwatch(): void } {
  const pid = postmasterPid(cluster);
  let report!: (error: Error) => void;
  const exited = new Promise<Error>((resolve) => (report = resolve));
  const timer = setInterval(() => {
    if (pid !== undefined && isAlive(pid) && serverStatus(cluster) !== 'stopping') return;
    clearInterval(timer);
    report(new PostgresServerError(reason));
  }, SERVER_WATCH_MS);
  timer.unref();
  return { exited, unwatch: () => clearInterval(timer) };
}

/**
 * Where a member keeps its state: the server DATABASE_URL names, or else an embedded server of
 * its own under `<dataDir>/postgres` with the database `member_<index>`, so that a single member
 * started by hand needs no Postgres installation either.
 */
export async function openMemberDatabase(config: Pick<MemberConfig, 'databaseUrl' | 'dataDir' | 'memberIndex'>, stopRequested?: AbortSignal): Promise<MemberDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, lost: NEVER_LOST, stop: async () => undefined };
  const cluster = embeddedCluster(config.dataDir);
  const server = await startPostgresServer({ dataDir: cluster, stopRequested }).catch((error: unknown) => {
    // A terminal's Ctrl-C reaches initdb too, in the member's process group, and ends it (initdb
    // then removes what it had written): its failure is the stop asked, not a fault.
    throwIfStopRequested(stopRequested);
    throw error;
  });
  const database = embeddedDatabaseName(config.memberIndex);
  try {
    throwIfStopRequested(stopRequested);
    await server.createDatabase(database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const watch = serverExit(cluster, `the server of ${cluster} stopped or is shutting down under the running member, which stops too: start the member again and it starts the server`);
  return {
    url: server.connectionString(database),
    lost: watch.exited,
    stop: async () => {
      watch.unwatch();
      await server.stop();
    },
  };
}

/**
 * The member's database for an operator command (role grant, pegout approve, pegin resume), the
 * same one the member uses: the server DATABASE_URL names; else the embedded server of the running
 * member, found through its cluster (it picks a free port at every start); else, with the member
 * stopped, that cluster started for the command alone and stopped after it.
 */
export async function openOperatorDatabase(config: Pick<MemberConfig, 'databaseUrl' | 'dataDir' | 'memberIndex'>): Promise<MemberDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, lost: NEVER_LOST, stop: async () => undefined };
  const cluster = embeddedCluster(config.dataDir);
  const database = embeddedDatabaseName(config.memberIndex);
  const running = runningServerUrl(cluster, database);
  if (running !== undefined) return { url: running, lost: NEVER_LOST, stop: async () => undefined };
  // A folder without the member's cluster is a wrong setting, never a database to create: an
  // approval or a credential written into a new, empty one would reach no member.
  if (!existsSync(join(cluster, 'PG_VERSION'))) {
    throw new ConfigError('dataDir', `${config.dataDir} holds no member database (no cluster in ${cluster}): set dataDir to the member's folder, or databaseUrl (DATABASE_URL) to its server`);
  }
  const server = await startPostgresServer({ dataDir: cluster });
  return { url: server.connectionString(database), lost: NEVER_LOST, stop: () => server.stop() };
}

export function embeddedCluster(dataDir: string): string {
  return join(dataDir, 'postgres', 'cluster');
}

function embeddedDatabaseName(memberIndex: number): string {
  return `member_${memberIndex}`;
}

/**
 * The member's store, its schema brought up to date: the first use of its database, so a server
 * that cannot be reached or logged in to is said in terms of the config field that names it.
 */
export async function migratedChainStore(pool: pg.Pool, stopRequested?: AbortSignal): Promise<ChainStore> {
  const store = new ChainStore(pool);
  await store.migrate(stopRequested).catch((error: unknown) => {
    throwIfStopRequested(stopRequested);
    throw asDatabaseSettingError(error);
  });
  return store;
}

/**
 * The member's store for an operator command (role, pegout approve, pegin resume), which reaches
 * the database while the member may run. A new database gets this release's schema, as the
 * member's first start would give it. One at an older version is left as it is: the member using
 * it runs an older release, and under a newer schema it would go on writing its blocks without
 * what the newer tables hold (a dividend missing from the dividends of its security, so that the
 * same dividend could be paid twice), and could no longer be started again on its own database.
 */
export async function operatorChainStore(pool: pg.Pool): Promise<ChainStore> {
  const { database, software } = await new ChainStore(pool).schemaVersions().catch((error: unknown) => {
    throw asDatabaseSettingError(error);
  });
  if (database > 0 && database < software) {
    throw new MigrationError(
      `the member's database is at schema version ${database}, older than this command's (${software}): the member runs an older release of Strongbox; upgrade the member and start it, which brings its database up to date, then run this command again (OPERATOR.md, "Upgrading")`,
    );
  }
  return migratedChainStore(pool);
}

/** A failure of a member's first use of its database, said in terms of the config field that names it. */
export function asDatabaseSettingError(error: unknown): Error {
  if (error instanceof StrongboxError) return error;
  return new ConfigError('databaseUrl', `cannot reach the member's database (${(error as Error).message})`);
}
