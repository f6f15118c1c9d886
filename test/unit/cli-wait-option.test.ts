import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

const address = 'sbx1qqnzdehgt75yn5hxxuwyzgpuwqrapfaxdgdut2fcc8jt6esvfpt8qtparju';
const asset = '5c1f' + 'ab'.repeat(30);

/** Every command that submits a transaction and waits for it to be final, with what it needs besides --wait. */
const submitting: string[][] = [
  ['send', '--to', address, '--amount', '1'],
  ['issue', '--name', 'Acme AB', '--isin', 'SE0000108656', '--supply', '1'],
  ['reissue', '--asset', asset, '--amount', '1'],
  ['allowlist', 'add', address, '--asset', asset],
  ['allowlist', 'remove', address, '--asset', asset],
  ['dividend', '--asset', asset, '--record-height', '1', '--total', '1'],
  ['dvp', 'accept', '--offer', 'offer.json'],
  ['dvp', 'cancel', '--offer', 'offer.json'],
  ['pegout', '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--amount', '100000'],
];

describe('--wait of the commands that submit a transaction', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'strongbox-wait-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of submitting) {
    const name = args.slice(0, args[0] === 'allowlist' || args[0] === 'dvp' ? 2 : 1).join(' ');
    it(`${name}: refuses what is no whole number of seconds from 0 to a day with one line, before reading anything`, async () => {
      for (const value of ['-1', 'abc', '1.5', '030', '', '86401']) {
        const result = await runCliInProcess([...args, '--wait', value], { cwd: dir, env: {} });
        expect([result.code, result.stdout, result.stderr]).to.deep.equal([
          1,
          '',
          `strongbox: option '--wait <seconds>' argument '${value}' is invalid. It takes whole seconds, 0 to 86400 (a day); 0 does not wait for finality (see --help)\n`,
        ]);
      }
      expect(readdirSync(dir)).to.deep.equal([]);
    });

    it(`${name}: says in its help how long it waits and what 0 does`, async () => {
      const help = await runCliInProcess([...args.slice(0, name.split(' ').length), '--help'], { cwd: dir, env: {} });
      expect(help.stdout.replace(/\s+/g, ' ')).to.include(
        '--wait <seconds> how long to wait for the transaction to be final, counted from the last time it was sent; 0: print its id once a member has taken it, without waiting (default: 30)',
      );
    });
  }
});
