import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNodeChild } from '../../federation/local-network/child-processes.ts';

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
});
