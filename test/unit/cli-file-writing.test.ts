import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

/** A member of a genesis file, its keys from a key file `keygen` wrote. */
async function memberOf(dir: string, name: string): Promise<string> {
  const made = await runCliInProcess(['keygen', '--out', `${name}.key.json`, '--json'], { cwd: dir, env: {} });
  expect(made.code, made.stderr).to.equal(0);
  const keys = JSON.parse(made.stdout) as { blockPublicKey: string; pegPublicKey: string };
  return `${name}=${keys.blockPublicKey},${keys.pegPublicKey}`;
}

describe('a file a command cannot write', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'strongbox-writing-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const commands: [string, (missing: string) => Promise<string[]>][] = [
    ['keygen', async (missing) => ['keygen', '--out', missing]],
    ['wallet new', async (missing) => ['wallet', 'new', '--file', missing]],
    [
      'genesis',
      async (missing) => {
        // One command line at a time: the in-process CLI's directory and streams are the process's own.
        const members: string[] = [];
        for (const name of ['a', 'b', 'c', 'd']) members.push('--member', await memberOf(dir, name));
        return ['genesis', ...members, '--out', missing];
      },
    ],
  ];
  for (const [command, args] of commands) {
    it(`in a folder that does not exist is refused by ${command} in the words every command uses, cannot write, and nothing is written`, async () => {
      const missing = join(dir, 'no-such-folder', 'file.json');
      const line = await args(missing);
      const before = readdirSync(dir);
      const result = await runCliInProcess(line, { cwd: dir, env: {} });
      expect([result.code, result.stdout, result.stderr]).to.deep.equal([1, '', `strongbox: cannot write ${missing}: no such file or directory\n`]);
      expect(readdirSync(dir)).to.deep.equal(before);
    });
  }

  for (const force of [[], ['--force']]) {
    it(`that is a folder is refused by proof${force.map((flag) => ` ${flag}`).join('')}, before any member is asked`, async () => {
      const result = await runCliInProcess(['proof', 'ab'.repeat(32), '--out', dir, ...force, '--member', 'http://127.0.0.1:1'], { cwd: dir, env: {} });
      expect([result.code, result.stdout, result.stderr]).to.deep.equal([1, '', `strongbox: cannot write ${dir}: it is a folder: --out names the file to write\n`]);
    });
  }
});
