import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.ts';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

/** The command's output read by another program: a pipe, a script, `| head`. */
describe('strongbox output in pipes and scripts', function () {
  this.timeout(60_000);

  it('ends quietly with code 0 when the reader of its output has gone', async () => {
    const child = spawn(process.execPath, [CLI, 'pegout', 'status', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first byte: every write then meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
  });

  it('prints a fresh regtest address alone on a line, for $(…), and its key with --json', async () => {
    const plain = await runCli(['regtest', 'address']);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.match(/^bcrt1q[a-z0-9]{38}\n$/);
    const json = await runCli(['regtest', 'address', '--json']);
    const parsed = JSON.parse(json.stdout) as { address: string; privateKeyWif: string };
    expect(parsed.address).to.match(/^bcrt1q[a-z0-9]{38}$/).and.not.equal(plain.stdout.trim());
    expect(parsed.privateKeyWif).to.match(/^c[1-9A-HJ-NP-Za-km-z]{51}$/);
  });
});
