import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { isAlive, startTimeOf } from '../../federation/postgres/stale-server.ts';

const LIFELINE_MODULE = fileURLToPath(new URL('../../federation/postgres/server-lifeline.ts', import.meta.url));

/** A process standing for the server: it exits on SIGTERM, as a postmaster's smart shutdown ends it once its sessions have. */
async function standIn(): Promise<ChildProcess> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

/** Starts a lifeline for `pid` from a process that then exits, as a starter killed with SIGKILL does: the lifeline acts at once. */
async function lifelineWhoseStarterIsGone(pid: number, startTime: string): Promise<void> {
  const starter = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { startLifeline } = await import(${JSON.stringify(LIFELINE_MODULE)}); await startLifeline(${pid}, '', ${JSON.stringify(startTime)});`], { stdio: 'inherit' });
  const [code] = (await once(starter, 'exit')) as [number | null];
  expect(code, 'the starter exits').to.equal(0);
}

async function exitsWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([once(child, 'exit').then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe("a Postgres server's lifeline", function () {
  this.timeout(30_000);

  it('stops the server whose starter is gone', async () => {
    const server = await standIn();
    try {
      await lifelineWhoseStarterIsGone(server.pid!, startTimeOf(server.pid!)!);
      expect(await exitsWithin(server, 10_000), 'the server is stopped').to.equal(true);
      expect(server.signalCode).to.equal('SIGTERM');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('never signals a process that holds the PID the server had, started at another time', async () => {
    const other = await standIn();
    try {
      // The PID names the server to the lifeline, the start time another process: as when the
      // server has exited and a new process was given its PID.
      await lifelineWhoseStarterIsGone(other.pid!, String(Number(startTimeOf(other.pid!)!) - 1));
      expect(await exitsWithin(other, 3_000), 'the process with the reused PID exits').to.equal(false);
      expect(isAlive(other.pid!)).to.equal(true);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
