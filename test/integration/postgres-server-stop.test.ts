import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPostgresServer } from '../../federation/postgres/embedded-server.ts';
import { isAlive, postmasterPid } from '../../federation/postgres/stale-server.ts';
import { probeListen } from '../../regtest/free-port.ts';
import { currentDatabase } from '../helpers/postgres.ts';

/** What the server of `dataDir` logs from now on, read by calling the function returned. */
function logFromNow(dataDir: string): () => string {
  const file = `${dataDir}.log`;
  const from = statSync(file).size;
  return () => readFileSync(file).subarray(from).toString('utf8');
}

/** The postmaster of `dataDir` and the processes it runs (checkpointer, writers, sessions). */
function serverProcesses(dataDir: string): number[] {
  const postmaster = postmasterPid(dataDir)!;
  const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  return [postmaster, ...children];
}

describe('embedded Postgres server stops', function () {
  this.timeout(60_000);
  let folder: string;

  beforeEach(() => {
    // Open parents, as the `postgres` user needs when the tests run as root.
    folder = join(tmpdir(), `strongbox-pg-stop-${process.pid}-${randomBytes(3).toString('hex')}`);
    mkdirSync(folder, { mode: 0o755 });
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('stops a server whose cluster is deleted next without the shutdown checkpoint, leaving none of its processes and its port free', async () => {
    const dataDir = join(folder, 'cluster');
    const server = await startPostgresServer({ dataDir, durable: false });
    await server.createDatabase('written');
    const processes = serverProcesses(dataDir);
    const stopLog = logFromNow(dataDir);
    await server.stopForDeletion();
    expect(processes.filter(isAlive)).to.deep.equal([]);
    await probeListen('127.0.0.1', server.port);
    expect(stopLog()).to.include('received immediate shutdown request');
    // The line the server logs as it begins its shutdown checkpoint.
    expect(stopLog()).to.not.include('shutting down');
    // Without that checkpoint the cluster is left as a crash leaves it.
    const startLog = logFromNow(dataDir);
    await (await startPostgresServer({ dataDir, durable: false })).stopForDeletion();
    expect(startLog()).to.include('database system was not properly shut down; automatic recovery in progress');
  });

  it('stops a server cleanly, with its shutdown checkpoint: a start after it recovers nothing and finds its data', async () => {
    const dataDir = join(folder, 'cluster');
    const server = await startPostgresServer({ dataDir });
    await server.createDatabase('kept');
    const stopLog = logFromNow(dataDir);
    await server.stop();
    expect(stopLog()).to.include('received fast shutdown request');
    expect(stopLog()).to.include('shutting down');
    const startLog = logFromNow(dataDir);
    const again = await startPostgresServer({ dataDir });
    try {
      expect(await currentDatabase(again.connectionString('kept'))).to.equal('kept');
    } finally {
      await again.stop();
    }
    expect(startLog()).to.match(/database system was shut down at /);
    expect(startLog()).to.not.include('automatic recovery');
  });
});
