import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` as a user runs it: up, serving, and gone without a trace on Ctrl-C. */
describe('strongbox up (npm start)', function () {
  this.timeout(180_000);
  const dataDir = join(tmpdir(), `strongbox-up-${process.pid}-${randomBytes(3).toString('hex')}`);
  before(() => mkdirSync(dataDir, { recursive: true, mode: 0o755 }));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the network, serves every member, stops cleanly on SIGINT, and resumes the same chain', async () => {
    for (const round of [1, 2]) {
      const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const deadline = Date.now() + 90_000;
      while (!stdout.trim().endsWith('}')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`strongbox up did not come up (round ${round})`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const network = JSON.parse(stdout) as { members: { apiUrl: string }[]; genesisFile: string };
      expect(network.members).to.have.length(5);
      const statuses = await Promise.all(network.members.map(async (m) => (await fetch(`${m.apiUrl}/status`)).json() as Promise<{ chainId: string; peersConnected: number[] }>));
      expect(new Set(statuses.map((s) => s.chainId)).size).to.equal(1);
      // The log is appended across starts: the last line names this start's process.
      const pids = network.members.map((_, i) => Number([...readFileSync(join(dataDir, `member-${i}`, 'member.log'), 'utf8').matchAll(/"pid":(\d+)/g)].at(-1)?.[1]));
      expect(pids.every((pid) => pid > 0 && processAlive(pid))).to.equal(true);
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
      for (const pid of pids) expect(processAlive(pid), `member process ${pid} is gone`).to.equal(false);
      if (round === 2) expect(JSON.parse(readFileSync(network.genesisFile, 'utf8')).network).to.equal('local-regtest');
    }
  });
});
