import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStat } from '../../federation/process-stat.ts';

describe('a process as /proc/<pid>/stat tells it', () => {
  it('reads its state, parent and start time after a command name holding spaces and parentheses, and nothing once it is gone', async () => {
    // The command name is the program file's: a name like this one would shift every field split at spaces or cut at the first ')'.
    const folder = mkdtempSync(join(tmpdir(), 'process-stat-'));
    const program = join(folder, 'a) b (c');
    symlinkSync('/bin/sleep', program);
    const child = spawn(program, ['60'], { stdio: 'ignore' });
    let startTime: string;
    try {
      await once(child, 'spawn');
      const stat = processStat(child.pid!)!;
      // Running or asleep in its wait, not a zombie.
      expect(stat.state).to.match(/^[RS]$/);
      expect(stat.parent).to.equal(process.pid);
      // Clock ticks since boot: no earlier than this process's own start.
      expect(stat.startTime).to.match(/^\d+$/);
      expect(Number(stat.startTime)).to.be.at.least(Number(processStat(process.pid)!.startTime));
      startTime = stat.startTime;
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
      rmSync(folder, { recursive: true, force: true });
    }
    // Its PID may name a new process by now, which started later.
    expect(processStat(child.pid!)?.startTime).to.not.equal(startTime);
  });
});
