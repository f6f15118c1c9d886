import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { PostgresServerError, runningServerUrl, startPostgresServer } from '../../federation/postgres/embedded-server.ts';
import { isAlive, postmasterPid } from '../../federation/postgres/stale-server.ts';
import { IntervalLog } from '../../federation/observability/interval-log.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { currentDatabase, sharedPostgres } from '../helpers/postgres.ts';
import { eventually } from '../helpers/local-network.ts';

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A folder with open parents, as the `postgres` user needs when the tests run as root. */
function scratchFolder(): string {
  const folder = join(tmpdir(), `strongbox-pg-server-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(folder, { mode: 0o755 });
  return folder;
}

/**
 * Another Strongbox process owning a server on `dataDir`, in a process group of its own as a
 * command run in a terminal is; it stops the server on SIGTERM and says `interrupted` on SIGINT.
 */
async function serverInChildProcess(dataDir: string): Promise<{ child: ChildProcess; postmaster: number; lines: AsyncIterator<string> }> {
  const script = `
    const { startPostgresServer } = await import(${JSON.stringify(new URL('../../federation/postgres/embedded-server.ts', import.meta.url).href)});
    const server = await startPostgresServer({ dataDir: ${JSON.stringify(dataDir)}, durable: false });
    await server.createDatabase('kept');
    process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
    process.on('SIGINT', () => console.log('interrupted'));
    console.log('ready');
    setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  await new Promise<void>((resolve, reject) => {
    void lines.next().then(() => resolve());
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before its server was ready`)));
  });
  return { child, postmaster: postmasterPid(dataDir)!, lines };
}

/** The lifeline a process started beside its server: its child that is not the server. */
function lifelineOf(owner: number, postmaster: number): number {
  const children = execFileSync('pgrep', ['-P', String(owner)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  const lifelines = children.filter((pid) => pid !== postmaster && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('strongbox-postgres-lifeline'));
  expect(lifelines).to.have.length(1);
  return lifelines[0]!;
}

describe('embedded Postgres server', function () {
  this.timeout(60_000);
  let folder: string;
  const leftovers: number[] = [];

  beforeEach(() => {
    folder = scratchFolder();
  });
  afterEach(() => {
    for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  });

  it('is reached over a Unix-domain socket in a short folder, whatever the length of the data directory, and the running server by its cluster too', async () => {
    // A socket's path is at most 107 bytes: one in this data directory would exceed it.
    const dataDir = join(folder, 'a-data-directory-whose-path-alone-is-longer-than-a-unix-socket-path-may-be', 'cluster');
    expect(dataDir.length).to.be.greaterThan(107);
    const server = await startPostgresServer({ dataDir, durable: false });
    try {
      await server.createDatabase('reached');
      // A client over TCP has an address; over the socket it has none.
      const addressOf = (url: string) => withClient(url, async (client) => (await client.query<{ address: string | null }>('SELECT inet_client_addr() AS address')).rows[0]!.address);
      expect(await addressOf(server.connectionString('reached'))).to.equal(null);
      expect(await addressOf(runningServerUrl(dataDir, 'reached')!)).to.equal(null);
      expect(await currentDatabase(server.connectionString('reached'))).to.equal('reached');
    } finally {
      await server.stop();
    }
  });

  it("gives a command the running server's address over TCP when the server's socket is out of its sight (a service's /tmp of its own)", async () => {
    const dataDir = join(folder, 'cluster');
    const server = await startPostgresServer({ dataDir, durable: false });
    try {
      await server.createDatabase('seen');
      const sockets = new URL(server.connectionString('seen')).searchParams.get('host')!;
      // Unlinked, the socket takes no new connection, as one in another /tmp; the server runs on.
      rmSync(join(sockets, `.s.PGSQL.${server.port}`));
      const address = await withClient(runningServerUrl(dataDir, 'seen')!, async (client) => (await client.query<{ address: string | null }>('SELECT inet_client_addr() AS address')).rows[0]!.address);
      expect(address).to.equal('127.0.0.1');
    } finally {
      await server.stop();
    }
  });

  it('refuses a port in use with an error that names the port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startPostgresServer({ dataDir: join(folder, 'cluster'), port }).then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(PostgresServerError);
      expect((error as Error).message).to.equal(`embedded Postgres: port ${port} on 127.0.0.1 is in use; choose another or leave it unset for a free one`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('creates a database once, even when asked twice at the same time', async () => {
    const server = await sharedPostgres();
    const name = `idempotent_${randomBytes(4).toString('hex')}`;
    try {
      await Promise.all([server.createDatabase(name), server.createDatabase(name)]);
      await server.createDatabase(name);
      const client = new pg.Client({ connectionString: server.connectionString(name) });
      await client.connect();
      expect((await client.query('SELECT current_database() AS name')).rows[0].name).to.equal(name);
      await client.end();
    } finally {
      await server.dropDatabase(name);
    }
  });

  it('fails a database creation whose session the server ends, and stays up; creates it once the server keeps sessions again', async () => {
    const server = await sharedPostgres();
    const name = `ended_${randomBytes(4).toString('hex')}`;
    // Set from another database: a session of `postgres` would be ended under the statement.
    const setting = (sql: string) => withClient(server.connectionString('template1'), (client) => client.query(sql));
    await setting("ALTER DATABASE postgres SET idle_session_timeout = '1ms'");
    // Stalls of the event loop leave the server's FATAL waiting beside the session's ready
    // message, so that it reaches the client between two statements, as a restart's can.
    const stalls = setInterval(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5), 1);
    let error: unknown;
    try {
      error = await server.createDatabase(name).then(() => null, (e: unknown) => e);
    } finally {
      clearInterval(stalls);
      await setting('ALTER DATABASE postgres RESET idle_session_timeout');
    }
    expect((error as Error).message).to.equal('terminating connection due to idle-session timeout');
    await server.createDatabase(name);
    expect(await currentDatabase(server.connectionString(name))).to.equal(name);
    await server.dropDatabase(name);
  });

  it('rejects a database name that is not a plain identifier', async () => {
    const server = await sharedPostgres();
    const error = await server.createDatabase('member"; DROP').then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.equal('embedded Postgres: invalid database name "member\\"; DROP" (lowercase letters, digits, _)');
  });

  it('refuses a data directory that exists but holds something else', async () => {
    const dataDir = join(folder, 'cluster');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'not a cluster');
    const error = await startPostgresServer({ dataDir }).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.equal(`embedded Postgres: ${dataDir} exists but holds no cluster; remove it or choose another data directory`);
  });

  it("reports the server's own reason when it exits during start, leaving no socket folder behind", async () => {
    const dataDir = join(folder, 'cluster');
    const server = await startPostgresServer({ dataDir, durable: false });
    const sockets = new URL(server.connectionString('postgres')).searchParams.get('host')!;
    await server.stop();
    appendFileSync(join(dataDir, 'postgresql.conf'), '\nshared_buffers = lots\n');
    const error = await startPostgresServer({ dataDir }).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(PostgresServerError);
    expect((error as Error).message).to.match(/^embedded Postgres: the server did not start on 127\.0\.0\.1:\d+ with data in .*: .*FATAL: +configuration file ".*postgresql\.conf" contains errors$/);
    expect(existsSync(sockets)).to.equal(false);
  });

  it('as root, names the parent folder the postgres user cannot enter', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const closed = join(folder, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    const error = await startPostgresServer({ dataDir: join(closed, 'inner', 'cluster') }).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(PostgresServerError);
    expect((error as Error).message).to.contain(`which cannot enter ${closed} (mode 700)`);
  });

  it('as root, names a cluster copied without its owner, and the remedy, and starts once it is the postgres user\'s again', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dataDir = join(folder, 'cluster');
    const server = await startPostgresServer({ dataDir, durable: false });
    await server.stop();
    const postgresUser = statSync(dataDir).uid;
    // What `cp -r` run as root makes of a restored copy.
    execFileSync('chown', ['-R', 'root:root', dataDir]);
    const error = await startPostgresServer({ dataDir, durable: false }).then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(PostgresServerError);
    expect((error as Error).message).to.equal(
      `embedded Postgres: ${dataDir} belongs to root, not to user postgres, which the server runs as (a copy made without keeping owners, as cp -r does): chown -R postgres ${dataDir}, or copy it with cp -a`,
    );
    execFileSync('chown', ['-R', String(postgresUser), dataDir]);
    await (await startPostgresServer({ dataDir, durable: false })).stop();
  });

  it('creates missing parent folders the postgres user can enter, whatever the umask', async () => {
    const previous = process.umask(0o077);
    let server;
    try {
      server = await startPostgresServer({ dataDir: join(folder, 'deep', 'er', 'cluster'), durable: false });
    } finally {
      process.umask(previous);
    }
    try {
      expect(statSync(join(folder, 'deep')).mode & 0o777).to.equal(0o755);
      expect(statSync(join(folder, 'deep', 'er')).mode & 0o777).to.equal(0o755);
      await server.createDatabase('reachable');
    } finally {
      await server.stop();
    }
  });

  it('keeps the server running when a Ctrl-C reaches the process group of the process that started it', async () => {
    const dataDir = join(folder, 'cluster');
    const { child, postmaster, lines } = await serverInChildProcess(dataDir);
    leftovers.push(postmaster);
    try {
      process.kill(-child.pid!, 'SIGINT');
      expect((await lines.next()).value).to.equal('interrupted');
      expect(await currentDatabase(runningServerUrl(dataDir, 'kept')!)).to.equal('kept');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(isAlive(postmaster)).to.equal(false);
  });

  it("stops the server once the sessions still open have ended when the process that started it is killed with SIGKILL, keeping its data and leaving no socket folder behind; a member's step meanwhile waits for its database, logged once without a stack", async () => {
    const dataDir = join(folder, 'cluster');
    const { child, postmaster } = await serverInChildProcess(dataDir);
    leftovers.push(postmaster);
    const url = runningServerUrl(dataDir, 'kept')!;
    const sockets = new URL(url).searchParams.get('host')!;
    expect(existsSync(join(sockets, `.s.PGSQL.${new URL(url).port}`))).to.equal(true);
    const open = new pg.Client({ connectionString: url });
    await open.connect();
    try {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // A smart shutdown: no new sessions, while the open one keeps working until it ends.
      const refusal = await eventually('a new session refused', () => currentDatabase(url).then(() => false, (error: unknown) => error));
      expect(refusal).to.include({ code: '57P03' });
      // A member whose step needs a new connection meanwhile (its `up` killed, it stops too) meets
      // the database going away, as at any outage: one line with the reason, the repeats counted.
      const { lines, log } = capturedLog();
      const failures = new IntervalLog(log, 'federation signing step failed; retrying', 60_000);
      const step = new pg.Pool({ connectionString: url });
      for (let attempt = 0; attempt < 3; attempt++) failures.failed(await step.query('SELECT 1').then(() => undefined, (error: unknown) => error));
      await step.end();
      failures.flush();
      expect(lines.map(({ level, msg, reason, code, repeats, lastReason, err }) => ({ level, msg, reason, code, repeats, lastReason, err }))).to.deep.equal([
        { level: 'warn', msg: 'federation signing step failed; retrying', reason: "the member's database is out of reach: the database system is shutting down", code: '57P03', repeats: undefined, lastReason: undefined, err: undefined },
        { level: 'warn', msg: 'federation signing step failed; retrying (more in the last interval)', reason: undefined, code: undefined, repeats: 2, lastReason: "the member's database is out of reach: the database system is shutting down", err: undefined },
      ]);
      expect((await open.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name).to.equal('kept');
      expect(isAlive(postmaster)).to.equal(true);
    } finally {
      await open.end();
    }
    await eventually('the server stopped after its last session', async () => !isAlive(postmaster));
    await eventually('its socket folder removed', async () => !existsSync(sockets));
    const server = await startPostgresServer({ dataDir, durable: false });
    try {
      expect(await currentDatabase(server.connectionString('kept'))).to.equal('kept');
    } finally {
      await server.stop();
    }
  });

  it('takes over a server left running by a process killed with SIGKILL together with its lifeline, keeping its data', async () => {
    const dataDir = join(folder, 'cluster');
    const { child, postmaster } = await serverInChildProcess(dataDir);
    leftovers.push(postmaster);
    process.kill(lifelineOf(child.pid!, postmaster), 'SIGKILL');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // PostgreSQL is its own process: it outlives the parent that was killed.
    expect(isAlive(postmaster)).to.equal(true);

    const server = await startPostgresServer({ dataDir, durable: false });
    try {
      expect(isAlive(postmaster)).to.equal(false);
      expect(postmasterPid(dataDir)).to.not.equal(postmaster);
      expect(await currentDatabase(server.connectionString('kept'))).to.equal('kept');
    } finally {
      await server.stop();
    }
    expect(postmasterPid(dataDir)).to.equal(undefined);
  });

  it('refuses a data directory whose server another live process still runs', async () => {
    const dataDir = join(folder, 'cluster');
    const { child, postmaster } = await serverInChildProcess(dataDir);
    leftovers.push(postmaster);
    try {
      const error = await startPostgresServer({ dataDir }).then(() => null, (e: unknown) => e);
      const message = (error as Error).message;
      expect(message).to.not.include('\n');
      expect(message).to.match(new RegExp(`^embedded Postgres: ${dataDir} is in use by a server that process ${child.pid} \\(\\S*node .+\\) runs: a data folder serves one process at a time\\. `));
      expect(message).to.match(/If that process is another member, this config names its data folder \(check dataDir\); if it is a leftover of this one, stop it first$/);
      expect(isAlive(postmaster)).to.equal(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(isAlive(postmaster)).to.equal(false);
  });
});
