import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spawnNodeChild, stopChildren, type ManagedChild } from '../../federation/local-network/child-processes.ts';
import { MEMBER_STOP_GRACE_MS } from '../../federation/local-network/local-network.ts';

describe('a member process of a local network', function () {
  this.timeout(20_000);
  const folder = mkdtempSync(join(tmpdir(), 'strongbox-child-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  // V8 would otherwise let a member's old space grow to four times what was live before collecting
  // it, which under a burst of large blocks is most of its resident set (docs/DECISIONS.md).
  it('runs with V8 growing its heap by at most half of what was live after a collection', async () => {
    const log = join(folder, 'member.log');
    const child = spawnNodeChild('member-0', ['-e', 'console.log(JSON.stringify(process.execArgv))'], { logFile: log });
    expect(await child.exited).to.equal(0);
    expect(JSON.parse(readFileSync(log, 'utf8'))).to.include('--heap-growing-percent=50');
  });

  /** A child running `script` that has set up its signal handling (it says so on its channel). */
  const ready = async (name: string, script: string): Promise<ManagedChild> => {
    const child = spawnNodeChild(name, ['-e', `${script}; process.send('ready')`], { logFile: join(folder, `${name}.log`) });
    await new Promise((resolve) => child.process.once('message', resolve));
    return child;
  };

  // A member writes a snapshot of its ledger as it stops (seconds at a million UTXOs): killed
  // during the write, it keeps its older snapshot and its next start replays more.
  it('has as long to stop in a network started by up as docker-compose.yml gives a member', () => {
    const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, { stop_grace_period?: string }> };
    const members = Object.entries(compose.services).filter(([name]) => name.startsWith('member'));
    expect(members).to.have.length(5);
    for (const [, service] of members) expect(service.stop_grace_period).to.equal(`${MEMBER_STOP_GRACE_MS / 1000}s`);
  });

  it('says which children are still stopping while it waits, and kills one that outlasts its grace', async () => {
    const released = join(folder, 'released');
    // Exits once told to (as a member does once its snapshot is written), not after a set time.
    const slow = await ready('member 1', `process.on('SIGTERM', () => setInterval(() => require('node:fs').existsSync(${JSON.stringify(released)}) && process.exit(0), 20)); setInterval(() => {}, 1000)`);
    const stuck = await ready('member 2', "process.on('SIGTERM', () => undefined); setInterval(() => {}, 1000)");
    const lines: string[] = [];
    await stopChildren([slow, stuck], {
      graceMs: 2_000,
      noticeEveryMs: 100,
      onProgress: (line) => {
        lines.push(line);
        writeFileSync(released, '');
      },
    });
    expect(await slow.exited).to.equal(0);
    expect(await stuck.exited).to.equal('SIGKILL');
    // The first notice comes before the grace ends (its timer is due first), so it names both.
    expect(lines[0]).to.match(/^still stopping after \d+ s: member 1, member 2 \(SIGKILL at 2 s\)$/);
    expect(lines).to.include('member 2 did not exit within 2 s of SIGTERM: SIGKILL');
  });
});
