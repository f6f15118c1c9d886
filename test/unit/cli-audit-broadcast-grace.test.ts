import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

describe('audit --broadcast-grace', () => {
  let folder: string;
  before(() => (folder = mkdtempSync(join(tmpdir(), 'strongbox-grace-'))));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('refuses what is no whole number of seconds from 0 to ten minutes with one line, before reading anything', async () => {
    for (const value of ['-1', 'abc', '1.5', '010', '', '601', '10s']) {
      const result = await runCliInProcess(['audit', '--broadcast-grace', value, '--data-dir', folder], { cwd: folder, env: {} });
      expect([result.code, result.stdout, result.stderr]).to.deep.equal([
        1,
        '',
        `strongbox: option '--broadcast-grace <seconds>' argument '${value}' is invalid. It takes whole seconds, 0 to 600; 0 fails at once on a transaction the node does not know (see --help)\n`,
      ]);
    }
    expect(readdirSync(folder)).to.deep.equal([]);
  });

  it('takes 0 and 600, and goes on to what the audit needs', async () => {
    for (const value of ['0', '600']) {
      const result = await runCliInProcess(['audit', '--broadcast-grace', value, '--data-dir', folder], { cwd: folder, env: {} });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^strongbox: no local network at /);
    }
  });

  it('says in its help what it gives time for, and the default', async () => {
    const help = await runCliInProcess(['audit', '--help'], { cwd: folder, env: {} });
    expect(help.stdout.replace(/\s+/g, ' ')).to.include(
      "--broadcast-grace <seconds> how long after its block's time a record in the newest blocks is given for its Bitcoin transaction to reach your node (default: 10)",
    );
  });
});
