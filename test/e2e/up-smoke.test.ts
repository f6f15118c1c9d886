import { expect } from 'chai';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runCli } from '../helpers/cli.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import pg from 'pg';
import { readNetworkFile, type NetworkFile } from '../../federation/local-network/network-file.ts';
import { processStat } from '../../federation/process-stat.ts';
import { eventually } from '../helpers/local-network.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface ProcessRow {
  pid: number;
  ppid: number;
  /** When it started, in clock ticks since boot: with the pid, it names one process, whatever reuses the pid later. */
  started: string;
  command: string;
}

/** Every running process, as /proc lists it; a zombie has exited and is left out. */
function processTable(): ProcessRow[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    const pid = Number(entry);
    const stat = processStat(pid);
    if (!stat || stat.state === 'Z') return [];
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      return [{ pid, ppid: stat.parent, started: stat.startTime, command }];
    } catch {
      return []; // exited while the table was read
    }
  });
}

/** `root` and every process below it. */
function processTree(root: number): ProcessRow[] {
  const table = processTable();
  const tree = table.filter((row) => row.pid === root);
  for (let index = 0; index < tree.length; index++) tree.push(...table.filter((row) => row.ppid === tree[index]!.pid));
  return tree;
}

/** Those of `rows` still running, not others that reused their pids since. */
function stillRunning(rows: ProcessRow[]): ProcessRow[] {
  const table = processTable();
  return rows.filter((row) => table.some((now) => now.pid === row.pid && now.started === row.started));
}

/**
 * Stops what a test that failed part-way left of a network: `up` is asked to stop it (npm passes a
 * SIGTERM on), and whatever still runs after a minute is killed, including any process that names
 * the network's folder but no longer hangs below `up`.
 */
async function stopLeftovers(child: ChildProcess, dataDir: string): Promise<void> {
  const running = () => child.exitCode === null && child.signalCode === null;
  const tree = running() ? processTree(child.pid!) : [];
  if (running()) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  }
  const named = processTable().filter((row) => row.command.includes(dataDir));
  const left = stillRunning([...tree, ...(running() ? processTree(child.pid!) : []), ...named]);
  for (const pid of new Set(left.map((row) => row.pid))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // it exited meanwhile
    }
  }
}

/** What a started `up` writes, read as it comes, and its exit. */
function followed(child: ChildProcessByStdio<null, Readable, Readable>): { output: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { output, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** The lines a log file gained since it was `from` bytes long. */
function linesSince(file: string, from: number): string[] {
  return readFileSync(file).subarray(from).toString('utf8').split('\n').filter((line) => line !== '');
}

/** A Postgres log line's time: its prefix is the time in UTC to the millisecond. */
function postgresLogTime(line: string): number {
  const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC /.exec(line);
  if (!stamp) throw new Error(`not a Postgres log line with a UTC time: ${line}`);
  return Date.parse(`${stamp[1]!.replace(' ', 'T')}Z`);
}

interface Summary {
  members: { apiUrl: string }[];
  explorerUrl: string;
  escrow: { descriptor: string };
  demoWallet: { file: string; address: string; balanceSats: string };
}

/** The same facts read back from the summary printed for people. */
function summaryFromText(text: string): Summary {
  const field = (pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`the summary has no ${pattern}:\n${text}`);
    return match;
  };
  const wallet = field(/^ {2}Demo wallet +(\S+) +(sbx1\S+) +\((\d+)\.(\d{8}) pegged BTC\)$/m);
  return {
    members: [...text.matchAll(/^ {2}Member \d API +(http\S+)/gm)].map((match) => ({ apiUrl: match[1]! })),
    explorerUrl: field(/^ {2}Explorer +(http\S+)$/m)[1]!,
    escrow: { descriptor: field(/^ {2}Escrow +(wsh\S+)$/m)[1]! },
    demoWallet: { file: wallet[1]!, address: wallet[2]!, balanceSats: String(BigInt(wallet[3]!) * 100_000_000n + BigInt(wallet[4]!)) },
  };
}

/** `npm start` as a user runs it: up, serving, and gone without a trace on Ctrl-C. */
describe('strongbox up (npm start)', function () {
  this.timeout(300_000);
  const dataDir = join(tmpdir(), `strongbox-up-${process.pid}-${randomBytes(3).toString('hex')}`);
  const started: ChildProcess[] = [];
  before(() => mkdirSync(dataDir, { recursive: true, mode: 0o755 }));
  afterEach(async () => {
    for (const child of started.splice(0)) await stopLeftovers(child, dataDir);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  // The first start prints JSON for scripts and is killed with SIGKILL; the second is `npm start`, prints
  // the summary a person reads, and stops on a SIGTERM to npm alone, as a service manager sends it;
  // the third is `npm start` stopped by Ctrl-C in its terminal: SIGINT to every process of its
  // group, which npm forwards to `up` a second time, while a client keeps asking a member.
  it('starts the network with a funded demo wallet, serves every member and the explorer, leaves nothing running once killed with SIGKILL, stops cleanly on a SIGTERM to npm start or Ctrl-C in its terminal, and resumes the same chain on the same ports', async () => {
    let first: { network: NetworkFile; databaseUrl: string } | undefined;
    for (const round of [1, 2, 3]) {
      const json = round === 1;
      const killed = round === 1;
      const terminal = round === 3;
      const child = json
        ? spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('npm', ['start', '--', '--data-dir', dataDir], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'], detached: terminal });
      started.push(child);
      const { output, exited } = followed(child);
      const deadline = Date.now() + 90_000;
      while (json ? !output.stdout.trim().endsWith('}') : !output.stdout.includes('Press Ctrl-C to stop.')) {
        if (Date.now() > deadline || child.exitCode !== null) {
          const how = child.exitCode === null ? 'still starting after 90 s' : `exited with code ${child.exitCode}`;
          child.kill('SIGINT');
          throw new Error(`strongbox up did not come up (round ${round}, ${how}); stdout:\n${output.stdout.slice(-2000)}\nstderr:\n${output.stderr.slice(-4000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const network = json ? (JSON.parse(output.stdout) as Summary) : summaryFromText(output.stdout);
      expect(network.members).to.have.length(5);
      expect(network.demoWallet.balanceSats, 'the demo wallet holds the pegged-in 1 BTC').to.equal('100000000');
      expect((await fetch(network.explorerUrl)).headers.get('content-type')).to.match(/^text\/html/);
      const escrow = (await (await fetch(`${network.members[0]!.apiUrl}/escrow`)).json()) as { descriptor: string };
      expect(network.escrow.descriptor).to.equal(escrow.descriptor);
      const balances = (await (await fetch(`${network.members[4]!.apiUrl}/addresses/${network.demoWallet.address}/balances`)).json()) as { balances: { amount: string }[] };
      expect(balances.balances.map((b) => b.amount)).to.deep.equal(['100000000']);
      if (!json) {
        expect(output.stdout).to.include(`./bin/strongbox.js wallet show --file ${network.demoWallet.file}`);
        // Run as the summary says, with the STRONGBOX_HOME it tells the user to export.
        const shown = await runCli(['wallet', 'show', '--file', network.demoWallet.file], { env: { STRONGBOX_HOME: dataDir } });
        expect(shown.stdout, shown.stderr).to.equal(`address: ${network.demoWallet.address}\nbalances:\n  100000000 sats of pegged BTC (1.00000000 BTC)\n`);
        const asJson = await runCli(['wallet', 'show', '--file', network.demoWallet.file, '--json'], { env: { STRONGBOX_HOME: dataDir } });
        expect(JSON.parse(asJson.stdout)).to.deep.equal({ address: network.demoWallet.address, balances: [{ asset: BTC_ASSET_KEY, amount: '100000000', name: 'pegged BTC', decimals: 8 }] });
      }
      // The operations wallet was funded on the first start, so the network anchors without a manual step.
      const funded = Date.now() + 30_000;
      while (((await (await fetch(`${network.members[3]!.apiUrl}/anchors/wallet`)).json()) as { balanceSats: string }).balanceSats === '0') {
        if (Date.now() > funded) throw new Error('the operations wallet was not funded');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Saved URLs keep working after a restart: the members', the Bitcoin node's (with its password) and Postgres's.
      const written = readNetworkFile(dataDir);
      const databaseUrl = (JSON.parse(readFileSync(join(dataDir, 'member-0', 'config.json'), 'utf8')) as { databaseUrl: string }).databaseUrl;
      if (round === 1) first = { network: written, databaseUrl };
      else {
        expect(written.members, 'the members keep their API ports').to.deep.equal(first!.network.members);
        expect(written.bitcoinRpcUrl, 'the Bitcoin node keeps its RPC port and password').to.equal(first!.network.bitcoinRpcUrl);
        expect(written.postgres.port, 'Postgres keeps its port').to.equal(first!.network.postgres.port);
        expect(databaseUrl).to.equal(first!.databaseUrl);
        expect(output.stdout).to.include(`  Postgres        127.0.0.1:${first!.network.postgres.port}\n`);
        expect(await new BitcoinRpc(first!.network.bitcoinRpcUrl).getBlockCount(), 'the first start\'s RPC URL reaches the node').to.be.greaterThan(0);
        const client = new pg.Client({ connectionString: first!.databaseUrl });
        await client.connect();
        try {
          expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);
        } finally {
          await client.end();
        }
      }
      const statuses = await Promise.all(network.members.map(async (m) => (await fetch(`${m.apiUrl}/status`)).json() as Promise<{ chainId: string; peersConnected: number[] }>));
      expect(new Set(statuses.map((s) => s.chainId)).size).to.equal(1);
      // The log is appended across starts: the last line names this start's process.
      const pids = network.members.map((_, i) => Number([...readFileSync(join(dataDir, `member-${i}`, 'member.log'), 'utf8').matchAll(/"pid":(\d+)/g)].at(-1)?.[1]));
      expect(pids.every((pid) => pid > 0 && processAlive(pid))).to.equal(true);
      if (round === 2) {
        // A member that dies is said at once and started again, one of the network's processes
        // still; a start it refuses (here, its key file damaged meanwhile) is said with its reason,
        // and it is started again until it runs.
        const keyFile = join(dataDir, 'member-4', 'key.json');
        const key = readFileSync(keyFile);
        writeFileSync(keyFile, '{');
        process.kill(pids[4]!, 'SIGKILL');
        const log = join(dataDir, 'member-4', 'member.log');
        const refused = `! member 4 exited (1): key file ${keyFile}: is not valid JSON, so not a member key file; starting it again in 2 s (its log: ${log})\n`;
        try {
          const refusedBy = Date.now() + 60_000;
          while (!output.stderr.includes(refused) && Date.now() < refusedBy) await new Promise((resolve) => setTimeout(resolve, 100));
          expect(output.stderr, output.stderr.slice(-2000)).to.include(refused);
        } finally {
          writeFileSync(keyFile, key);
        }
        const said = `! member 4 exited (SIGKILL); starting it again in 1 s (its log: ${log})\n`;
        const until = Date.now() + 60_000;
        const restartedPid = () => Number([...readFileSync(log, 'utf8').matchAll(/"pid":(\d+)/g)].at(-1)?.[1]);
        while (!(output.stderr.includes(said) && restartedPid() !== pids[4] && (await fetch(`${network.members[4]!.apiUrl}/status`).then((r) => r.ok, () => false))) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
        expect(output.stderr).to.include(said);
        pids[4] = restartedPid();
        expect(processAlive(pids[4]), 'the restarted member runs').to.equal(true);
        expect(output.stderr).to.include(`! member 4 started again (pid ${pids[4]})\n`);
      }
      let asking = terminal;
      const busyClient = (async () => {
        while (asking) await fetch(`${network.members[0]!.apiUrl}/status`).then((response) => response.text(), () => undefined);
      })();
      // What a stop must leave nothing of: up, the members, Postgres (in a session of its own) and its lifeline.
      const networkProcesses = processTree(child.pid!);
      expect(networkProcesses.some((row) => row.command.includes('bin/postgres ')), 'Postgres runs below up').to.equal(true);
      const postgresLog = join(dataDir, 'postgres', 'cluster.log');
      const postgresLogBefore = statSync(postgresLog).size;
      const memberLogsBefore = pids.map((_, index) => statSync(join(dataDir, `member-${index}`, 'member.log')).size);
      if (terminal) {
        const up = networkProcesses.find((row) => row.ppid === child.pid)!;
        process.kill(-child.pid!, 'SIGINT');
        // npm's forwarded copy of the signal, and Ctrl-C pressed again and again, reach up while it
        // stops the members and as it ends: up is sent SIGINT until it has exited, never once its
        // pid may name another process.
        while (stillRunning([up]).length === 1) {
          try {
            process.kill(up.pid, 'SIGINT');
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      } else child.kill(killed ? 'SIGKILL' : 'SIGTERM');
      expect(await exited).to.equal(killed ? null : 0);
      asking = false;
      await busyClient;
      // Killed, up stops nothing itself: its members stop when their channel to it closes, and
      // Postgres's lifeline asks for a smart shutdown, which ends once they have closed their sessions.
      if (killed) await eventually('the network to stop after up was killed', async () => stillRunning(networkProcesses).length === 0, 60_000);
      for (const pid of pids) expect(processAlive(pid), `member process ${pid} is gone`).to.equal(false);
      expect(stillRunning(networkProcesses), 'no process of the network is left').to.deep.equal([]);
      if (killed || terminal) {
        // Every member stopped by itself (its last line says so), not by a kill ending a grace; after a Ctrl-C, up saw it through.
        // A slow stop names the members it still waits for; a kill would say so, and fail the match.
        if (terminal) expect(output.stderr).to.match(/… stopping\n(… still stopping after \d+ s: [^\n]*\n)*stopped\n$/);
        const stoppedAt = pids.map((_, index) => {
          const lines = linesSince(join(dataDir, `member-${index}`, 'member.log'), memberLogsBefore[index]!);
          expect(lines.at(-1)).to.include('"msg":"member stopped"');
          // Neither signal reaches Postgres, which so ends no member's connection under it.
          expect(lines.filter((line) => /"msg":"postgres|57P0\d|terminating connection/.test(line)), `member ${index}'s log`).to.deep.equal([]);
          return (JSON.parse(lines.at(-1)!) as { time: number }).time;
        });
        const postgresLines = linesSince(postgresLog, postgresLogBefore);
        const shutdownRequests = postgresLines.filter((line) => /received (fast|smart) shutdown request/.test(line));
        expect(shutdownRequests, postgresLines.join('\n')).to.have.length(1);
        expect(shutdownRequests[0]).to.include(killed ? 'received smart shutdown request' : 'received fast shutdown request');
        // up stops Postgres once every member has exited. Without up, the smart shutdown comes at
        // once and waits for the members. Either way the server has no session left to end.
        if (terminal) expect(postgresLogTime(shutdownRequests[0]!)).to.be.at.least(Math.max(...stoppedAt));
        expect(postgresLines.filter((line) => line.includes('terminating connection'))).to.deep.equal([]);
        expect(postgresLines.at(-1)).to.include('database system is shut down');
      }
      if (round === 2) expect(JSON.parse(readFileSync(join(dataDir, 'genesis.json'), 'utf8')).network).to.equal('local-regtest');
    }
  });

  it('stops with one line naming a member that refuses to start and its reason, not after waiting for the others to reach it', async () => {
    const keyFile = join(dataDir, 'member-2', 'key.json');
    const key = readFileSync(keyFile);
    writeFileSync(keyFile, 'not a key file');
    try {
      const result = await runCli(['up', '--data-dir', dataDir]);
      expect(result.code).to.equal(1);
      // Progress lines come first; the end is one line, no stack trace.
      const [refusal, ...more] = result.stderr.trimEnd().split('\n').filter((line) => !line.startsWith('… '));
      expect(more).to.deep.equal([]);
      const reason = `key file ${keyFile}: is not valid JSON`;
      expect(refusal!.startsWith(`strongbox: member 2 exited with code 1 before the network was up: ${reason}`), refusal).to.equal(true);
      expect(refusal!.endsWith(` (its log: ${join(dataDir, 'member-2', 'member.log')})`), refusal).to.equal(true);
    } finally {
      writeFileSync(keyFile, key);
    }
  });

  // Members left without their databases would answer 503 and retry for ever, unseen: up, which
  // started the server and alone can start it again, stops the network and says why.
  it('stops the network with one line when its Postgres server dies under it, leaving nothing running', async () => {
    const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    const { output, exited } = followed(child);
    await eventually('the network to be up', async () => output.stdout.includes('Press Ctrl-C to stop.') || child.exitCode !== null, 120_000);
    expect(child.exitCode, output.stderr.slice(-2000)).to.equal(null);
    const networkProcesses = processTree(child.pid!);
    const postmaster = networkProcesses.find((row) => row.command.includes('bin/postgres '));
    expect(postmaster, 'Postgres runs below up').to.not.equal(undefined);
    process.kill(postmaster!.pid, 'SIGKILL');
    expect(await exited).to.equal(1);
    const cluster = join(dataDir, 'postgres', 'cluster');
    expect(output.stderr.trimEnd().split('\n').at(-1)).to.equal(
      `strongbox: embedded Postgres: the server of ${cluster}, which holds every member's database, stopped or is shutting down under the running network (its log: ${cluster}.log), so the network stops too: start it again and it starts the server`,
    );
    await eventually('every process of the network to exit', async () => stillRunning(networkProcesses).length === 0, 30_000);
  });
});
