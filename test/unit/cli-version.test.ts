import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

const release = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('strongbox --version', () => {
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints the release of package.json alone on standard output and exits 0`, async () => {
      const result = await runCliInProcess([flag], { cwd: tmpdir(), env: {} });
      expect(result).to.include({ code: 0, stdout: `${release}\n`, stderr: '' });
    });
  }
});
