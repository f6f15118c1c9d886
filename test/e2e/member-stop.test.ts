import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { memberAnswering, restartMember } from '../helpers/faults.ts';
import { processStat } from '../../federation/process-stat.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

/**
 * A parent of a member, as `strongbox up` is one: it starts the member with an IPC channel, its
 * lifeline, its output appended to `log`, and prints the member's pid.
 */
const PARENT = `
const { spawn } = require('node:child_process');
const { openSync } = require('node:fs');
const [cli, config, log] = process.argv.slice(1);
const output = openSync(log, 'a');
const member = spawn(process.execPath, [cli, 'member', 'start', '--config', config], { stdio: ['ignore', output, output, 'ipc'] });
console.log(member.pid);
`;

/**
 * A parent of a member that runs the member's Bitcoin node, as `strongbox up` does: a node that
 * takes the member's connection and never answers, its address put into a copy of the member's
 * config. It prints the member's pid, then `asked` once the member's start waits on the node.
 */
const PARENT_RUNNING_BITCOIN = `
const { spawn } = require('node:child_process');
const { createServer } = require('node:net');
const { openSync, readFileSync, writeFileSync } = require('node:fs');
const [cli, config, configHere, log] = process.argv.slice(1);
const node = createServer(() => console.log('asked'));
node.listen(0, '127.0.0.1', () => {
  const settings = JSON.parse(readFileSync(config, 'utf8'));
  settings.bitcoin.rpcUrl = 'http://strongbox:unanswered@127.0.0.1:' + node.address().port;
  writeFileSync(configHere, JSON.stringify(settings));
  const output = openSync(log, 'a');
  const member = spawn(process.execPath, [cli, 'member', 'start', '--config', configHere], { stdio: ['ignore', output, output, 'ipc'] });
  console.log(member.pid);
});
`;

/** Whether process `pid` has exited: gone, or a zombie nobody has reaped (its parent died before it). */
function exited(pid: number): boolean {
  const stat = processStat(pid);
  return stat === undefined || stat.state === 'Z';
}

// A member the local network starts holds an IPC channel to it, its lifeline. On SIGTERM (Ctrl-C
// on `strongbox up`) it must stop and exit by itself, not wait for the network's kill once the
// grace period is over; when the network's process dies, even by SIGKILL, it must stop too, also
// while it is still starting.
describe('a member started by the local network', function () {
  this.timeout(120_000);
  let net: TestNetwork;
  const logFile = (index: number) => join(net.network.dataDir, `member-${index}`, 'member.log');
  /** What member `index` logged from byte `from` on. */
  const loggedSince = (index: number, from: number) => readFileSync(logFile(index)).subarray(from).toString('utf8');

  before(async () => {
    net = await startTestNetwork(3);
  });

  after(() => net?.stop());

  /**
   * Stops member 0 and starts it again by `start` with its peers paused: they accept its
   * connections and answer nothing, so once its chain is loaded its start waits on them (10 s a
   * peer to catch up, then the check of its votes). `stop` ends it then and waits for its exit. It
   * must have stopped as one asked to while starting, and let go of its database and ports: the
   * network's own start of it then links to both others. Its clean stop wrote a snapshot of its
   * ledger at its tip, which the start loads, replaying no block.
   */
  async function stopWhileWaitingOnPeers<T>(start: () => Promise<T> | T, stop: (started: T) => Promise<void>): Promise<void> {
    const members = net.network.members;
    // A block above any snapshot member 0 holds, for its stop to take one at a new tip.
    const height = (await net.clients[0]!.status()).height;
    await net.clients[0]!.submit(issuance(net.genesis.chainId, testWallet(), 1n).tx);
    await eventually('member 0 at a new height', async () => (await net.clients[0]!.status()).height > height);
    members[0]!.process.kill('SIGTERM');
    expect(await members[0]!.exited).to.equal(0);
    const written = readFileSync(logFile(0), 'utf8').split('\n').filter((line) => line.includes('"msg":"ledger snapshot written"')).at(-1);
    const snapshotHeight = (JSON.parse(written!) as { height: number }).height;
    expect(snapshotHeight).to.be.greaterThan(height);
    for (const peer of [1, 2]) members[peer]!.process.kill('SIGSTOP');
    try {
      const from = statSync(logFile(0)).size;
      const started = await start();
      await eventually('member 0 loading its chain', async () => loggedSince(0, from).includes('"msg":"chain loaded"'), 60_000);
      const loaded = loggedSince(0, from).split('\n').find((line) => line.includes('"msg":"ledger loaded from its snapshot'));
      expect(JSON.parse(loaded!)).to.include({ height: snapshotHeight, blocksAbove: 0 });
      await stop(started);
      expect(loggedSince(0, from).trim().split('\n').at(-1)).to.include('"msg":"member stopped while starting"');
    } finally {
      for (const peer of [1, 2]) members[peer]!.process.kill('SIGCONT');
    }
    await startsAgainLinkedToBoth();
  }

  /** The network's own start of member 0 links to both others: the member before it let go of its database and ports. */
  async function startsAgainLinkedToBoth(): Promise<void> {
    await restartMember(net, 0);
    await eventually('member 0 linked to both others at their height', async () => {
      const [own, other] = await Promise.all([net.clients[0]!.status(), net.clients[1]!.status()]);
      return own.peersConnected.length === 2 && own.height === other.height;
    });
  }

  /** Waits for member `pid` to exit once its parent died; kills it if it does not, for it would run on alone. */
  async function exitsWithoutParent(pid: number): Promise<void> {
    await eventually(`member 0 (pid ${pid}) exiting after its parent died`, async () => exited(pid), 60_000).catch((error: unknown) => {
      process.kill(pid, 'SIGKILL');
      throw error;
    });
  }

  it('on SIGTERM while it waits on its peers to start, stops at once with code 0, and starts again on its database', async () => {
    await stopWhileWaitingOnPeers(
      () => net.network.restartMember(0),
      async (starting) => {
        const asked = Date.now();
        starting.process.kill('SIGTERM');
        expect(await starting.exited).to.equal(0);
        expect(Date.now() - asked).to.be.below(5_000);
      },
    );
  });

  it('whose parent dies while it waits on its peers to start, stops as on SIGTERM, and starts again on its database', async () => {
    await stopWhileWaitingOnPeers(
      async () => {
        const parent = spawn(process.execPath, ['-e', PARENT, CLI, join(net.network.dataDir, 'member-0', 'config.json'), logFile(0)], { stdio: ['ignore', 'pipe', 'inherit'] });
        const [printed] = (await once(parent.stdout, 'data')) as [Buffer];
        return { parent, memberPid: Number(printed.toString('utf8').trim()) };
      },
      async ({ parent, memberPid }) => {
        parent.kill('SIGKILL');
        // Without its lifeline it would wait on its paused peers, start, and run on without a parent.
        await exitsWithoutParent(memberPid);
      },
    );
  });

  it('whose parent dies while its start waits on the Bitcoin node the parent ran, stops as while starting, not failing on the node\'s end', async () => {
    const members = net.network.members;
    members[0]!.process.kill('SIGTERM');
    expect(await members[0]!.exited).to.equal(0);
    const from = statSync(logFile(0)).size;
    const folder = join(net.network.dataDir, 'member-0');
    const parent = spawn(process.execPath, ['-e', PARENT_RUNNING_BITCOIN, CLI, join(folder, 'config.json'), join(folder, 'config-bitcoin-of-parent.json'), logFile(0)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = createInterface({ input: parent.stdout })[Symbol.asyncIterator]();
    const memberPid = Number((await said.next()).value);
    expect((await said.next()).value, 'what the parent said once it started the member').to.equal('asked');
    // The parent's death closes the member's channel and its connection to the node at once; the
    // member may read either first. An exit on the node's end would log `bitcoin.rpcUrl: … unreachable`.
    parent.kill('SIGKILL');
    await exitsWithoutParent(memberPid);
    expect(loggedSince(0, from).trim().split('\n').at(-1)).to.include('"msg":"member stopped while starting"');
    await startsAgainLinkedToBoth();
  });

  it('started alone, as systemd or docker runs it, exits with code 0 on SIGTERM sent again and again until it has exited, never by the signal', async () => {
    const members = net.network.members;
    members[0]!.process.kill('SIGTERM');
    expect(await members[0]!.exited).to.equal(0);
    const from = statSync(logFile(0)).size;
    // No IPC channel, so no lifeline: a process of its own, whose supervisor reads how it exited.
    const output = openSync(logFile(0), 'a');
    const alone = spawn(process.execPath, [CLI, 'member', 'start', '--config', join(net.network.dataDir, 'member-0', 'config.json')], { env: { ...process.env, ...net.memberEnv }, stdio: ['ignore', output, output] });
    closeSync(output);
    const exitedAs = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => alone.once('exit', (code, signal) => resolve({ code, signal })));
    await memberAnswering(net, 0, { name: 'member 0', process: alone, exited: exitedAs.then(({ code, signal }) => code ?? signal) });
    // A supervisor's SIGTERM, then the same again and again while the member stops and as it ends
    // (a second docker stop, systemd's or up's repeated signal). This process is its parent and
    // has not yet reaped it while exitCode and signalCode are null, so its pid is still its own.
    while (alone.exitCode === null && alone.signalCode === null) {
      alone.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await exitedAs).to.deep.equal({ code: 0, signal: null });
    expect(loggedSince(0, from).trim().split('\n').at(-1)).to.include('"msg":"member stopped"');
    await startsAgainLinkedToBoth();
  });

  it('on SIGTERM, stops and exits by itself with code 0, and its peers log the link it closed', async () => {
    const members = net.network.members;
    const exits = members.map((member) => member.exited);
    const from = statSync(logFile(0)).size;
    members[2]!.process.kill('SIGTERM');
    await exits[2];
    const closed = await eventually('member 0 logging the link member 2 closed', async () => loggedSince(0, from).split('\n').find((line) => line.includes('"msg":"peer link closed')), 30_000);
    expect(JSON.parse(closed)).to.include({ level: 'info', peer: 2 });
    expect(readFileSync(logFile(0), 'utf8').split('\n').some((line) => line.includes('"msg":"peer linked"') && line.includes('"peer":2'))).to.equal(true);
    for (const member of members) member.process.kill('SIGTERM');
    // A member that kept listening to its lifeline after stopping would live on until killed,
    // and this would wait for the test's timeout.
    expect(await Promise.all(exits)).to.deep.equal(members.map(() => 0));
    for (const index of members.keys()) {
      const log = readFileSync(logFile(index), 'utf8');
      expect(log).to.include('"msg":"member stopped"');
    }
  });
});
