import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { testFederation } from '../helpers/genesis.ts';

/**
 * A script running `audit --json` (a cron job keeping the report of the last audit that passed)
 * reads stdout: input the audit refuses is an `error` there, as a member out of reach is, beside
 * the one line on stderr, never nothing.
 */
describe('audit --json refusing its input', () => {
  let folder: string;
  let genesisFile: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'strongbox-audit-json-'));
    genesisFile = join(folder, 'genesis.json');
    writeFileSync(genesisFile, JSON.stringify(testFederation().genesis.file));
    writeFileSync(join(folder, 'not-a-report.json'), JSON.stringify({ valid: true }));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const member = ['--member', 'http://127.0.0.1:8100'];
  const node = ['--bitcoin-rpc', 'http://user:password@127.0.0.1:8332'];
  const cases: { description: string; args: () => string[]; code: string }[] = [
    { description: '--broadcast-grace beyond ten minutes', args: () => ['--broadcast-grace', '601', ...member, ...node, '--genesis', genesisFile], code: 'bad-broadcast-grace' },
    { description: 'a genesis file that does not exist', args: () => [...member, ...node, '--genesis', join(folder, 'missing.json')], code: 'config' },
    { description: 'a --previous file that does not exist', args: () => [...member, ...node, '--genesis', genesisFile, '--previous', join(folder, 'missing.json')], code: 'bad-previous' },
    { description: 'a --previous file that is no audit report', args: () => [...member, ...node, '--genesis', genesisFile, '--previous', join(folder, 'not-a-report.json')], code: 'bad-previous' },
    { description: 'a --member that is no URL', args: () => ['--member', 'notaurl', ...node, '--genesis', genesisFile], code: 'config' },
    { description: 'a --bitcoin-rpc that is no http URL', args: () => [...member, '--bitcoin-rpc', 'ftp://127.0.0.1:1', '--genesis', genesisFile], code: 'bad-rpc-url' },
    { description: 'no local network where none is named', args: () => ['--data-dir', join(folder, 'none')], code: 'no-local-network' },
  ];
  for (const { description, args, code } of cases) {
    it(`answers ${description} on stdout as an error, with the line stderr has, and exit 1`, async () => {
      const result = await runCliInProcess(['audit', ...args(), '--json'], { cwd: folder, env: {} });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^strongbox: [^\n]+\n$/);
      expect(JSON.parse(result.stdout)).to.deep.equal({ ok: false, error: { code, message: result.stderr.replace(/^strongbox: /, '').trimEnd() } });
      const human = await runCliInProcess(['audit', ...args()], { cwd: folder, env: {} });
      expect([human.code, human.stdout, human.stderr]).to.deep.equal([1, '', result.stderr]);
    });
  }

  it('writes nothing where it refuses', () => {
    expect(readdirSync(folder).sort()).to.deep.equal(['genesis.json', 'not-a-report.json']);
  });
});
