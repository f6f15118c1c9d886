import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

describe('a strongbox argument holding a NUL byte', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'strongbox-nul-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [['keygen', '--out', 'key\0.json', '--json'], ['network', 'init', '--dir', 'net\0work']]) {
    it(`is refused with one line and exit 1, writing nothing: ${args.slice(0, 2).join(' ')}`, async () => {
      const result = await runCliInProcess(args, { cwd: dir, env: {} });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(`strongbox: argument ${args.findIndex((arg) => arg.includes('\0')) + 1} must not contain a NUL byte\n`);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  }
});
