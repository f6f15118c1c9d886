import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InUseError, takePidLock } from '../../federation/pid-lock.ts';
import { withWalletLock } from '../../federation/wallet/wallet-lock.ts';

const PID_LOCK = new URL('../../federation/pid-lock.ts', import.meta.url).href;
const WALLET_LOCK = new URL('../../federation/wallet/wallet-lock.ts', import.meta.url).href;

/**
 * Processes that each take `file` when told to, all at once: each says `ready`, waits for a line
 * on stdin, tries, says `took` or `refused <pid>`, and holds what it took until stdin closes.
 */
async function takeAtOnce(file: string, count: number): Promise<{ pid: number; said: string }[]> {
  const script = `
    import { createInterface } from 'node:readline';
    const { takePidLock } = await import(${JSON.stringify(PID_LOCK)});
    const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log('ready');
    await lines.next();
    try {
      const lock = takePidLock(${JSON.stringify(file)}, (holder) => new Error('refused ' + holder));
      console.log('took');
      await lines.next();
      lock.release();
    } catch (error) {
      console.log(error.message);
    }`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const said = children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
  try {
    for (const lines of said) expect((await lines.next()).value).to.equal('ready');
    for (const child of children) child.stdin!.write('go\n');
    return await Promise.all(children.map(async (child, index) => ({ pid: child.pid!, said: (await said[index]!.next()).value as string })));
  } finally {
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.stdin!.end())))));
  }
}

describe('pid locks', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strongbox-pid-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const [what, before] of [['free', undefined], ['left by a process that died', () => spawnSync('true').pid]] as const) {
    it(`gives a lock ${what} to exactly one of several processes taking it at once; the others are refused naming it`, async () => {
      const file = join(dir, 'wallet.json.lock');
      if (before) writeFileSync(file, `${before()}\n`);
      const results = await takeAtOnce(file, 4);
      const took = results.filter((result) => result.said === 'took');
      expect(took, JSON.stringify(results)).to.have.length(1);
      for (const other of results.filter((result) => result !== took[0])) expect(other.said).to.equal(`refused ${took[0]!.pid}`);
      // Released on exit, with no file of the attempt left beside it.
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  }

  it('refuses a second taker in the same process, and takes the lock again once it is released', () => {
    const file = join(dir, 'wallet.json.lock');
    const lock = takePidLock(file, (holder) => new InUseError(`held by ${holder}`));
    expect(() => takePidLock(file, (holder) => new InUseError(`held by ${holder}`))).to.throw(InUseError, `held by ${process.pid}`);
    lock.release();
    expect(existsSync(file)).to.equal(false);
    takePidLock(file, () => new Error('unexpected')).release();
  });

  it('refuses a wallet another living strongbox command holds, running nothing, in one line naming its pid', async () => {
    const wallet = join(dir, 'alice.wallet.json');
    writeFileSync(`${wallet}.lock`, `${process.ppid}\n`);
    let ran = false;
    const refused = await withWalletLock(wallet, async () => (ran = true)).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(InUseError).and.have.property('message', `wallet ${wallet} is in use by another strongbox command (pid ${process.ppid}): run this one again once that has finished`);
    expect(ran).to.equal(false);
    expect(readFileSync(`${wallet}.lock`, 'utf8')).to.equal(`${process.ppid}\n`);
  });

  it('refuses a wallet in a folder it cannot write, in one line naming the folder and the way out, running nothing', () => {
    // Root writes any folder: the attempt runs as an unprivileged user then (nobody), as a user would.
    const asRoot = process.getuid?.() === 0;
    const folder = join(dir, 'read-only');
    mkdirSync(folder);
    const wallet = join(folder, 'alice.wallet.json');
    writeFileSync(wallet, '{}\n', { mode: 0o644 });
    chmodSync(dir, 0o755);
    chmodSync(folder, 0o555);
    const script = `
      const { withWalletLock } = await import(${JSON.stringify(WALLET_LOCK)});
      let ran = false;
      try {
        await withWalletLock(${JSON.stringify(wallet)}, async () => (ran = true));
        console.log('took');
      } catch (error) {
        console.log(error.constructor.name + ': ' + error.message);
      }
      console.log('ran: ' + ran);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', ...(asRoot && { uid: 65534, gid: 65534, env: { ...process.env, HOME: dir } }) });
    chmodSync(folder, 0o755);
    expect(child.stdout, child.stderr).to.equal(
      `ValidationError: wallet ${wallet}: cannot write its lock file ${wallet}.lock in ${folder} (permission denied): a command that spends the wallet's coins holds the wallet in that file beside it while it runs, so that no other command spends the same coins; move the wallet to a folder you can write, or make this one writable; nothing was sent\nran: false\n`,
    );
    expect(readdirSync(folder)).to.deep.equal(['alice.wallet.json']);
  });

  it('lets a wallet go when the command holding it fails', async () => {
    const wallet = join(dir, 'alice.wallet.json');
    const failed = await withWalletLock(wallet, async () => {
      expect(readFileSync(`${wallet}.lock`, 'utf8')).to.equal(`${process.pid}\n`);
      throw new Error('the member refused');
    }).catch((error: unknown) => error);
    expect(failed).to.have.property('message', 'the member refused');
    expect(existsSync(`${wallet}.lock`)).to.equal(false);
  });
});
