import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

describe('strongbox network init with a federation it cannot make', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'strongbox-init-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refusals: [what: string, args: string[], line: string][] = [
    ['more members than a number holds exactly', ['--members', '9007199254740993'], '--members must be a whole number from 1 to 20'],
    ['more members than a genesis allows', ['--members', '21'], '--members must be a whole number from 1 to 20'],
    ['no members', ['--members', '0'], '--members must be a whole number from 1 to 20'],
    ['a threshold a minority reaches', ['--members', '4', '--threshold', '2'], 'genesis threshold: must satisfy 2n/3 < k <= n for n = 4; got 2'],
    ['a threshold above the members', ['--members', '4', '--threshold', '5'], 'genesis threshold: must satisfy 2n/3 < k <= n for n = 4; got 5'],
  ];
  for (const [what, args, line] of refusals) {
    it(`refuses ${what} in one line, exit 1, and writes no key`, async () => {
      const result = await runCliInProcess(['network', 'init', '--dir', join(dir, 'net'), ...args], { cwd: dir, env: {} });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(`strongbox: ${line}\n`);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  }

  it('makes the keys and the genesis once the parameters hold', async () => {
    const result = await runCliInProcess(['network', 'init', '--dir', join(dir, 'net'), '--members', '4', '--threshold', '3'], { cwd: dir, env: {} });
    expect(result.code, result.stderr).to.equal(0);
    expect(readdirSync(join(dir, 'net')).sort()).to.deep.equal(['genesis.json', 'member-0', 'member-1', 'member-2', 'member-3']);
  });
});
