import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genesisPath, memberDir, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { startLocalNetwork, type LocalNetwork } from '../../federation/local-network/local-network.ts';
import { findFreePorts } from '../../regtest/free-port.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { placeMinedChain, sharedRegtest } from '../helpers/regtest.ts';
import { placeInitialisedCluster } from '../helpers/postgres.ts';
import { eventually } from '../helpers/local-network.ts';
import { refusedPort } from '../helpers/refused-port.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { isAlive, postmasterPid, stopPostmaster } from '../../federation/postgres/stale-server.ts';

/** What a member says of a port another process holds: it is not moved, as the other members' configs name it. */
const PORT_HELD = "the address is already in use by another process (this member already running?): stop it and start the member again; the other members' peers lists name this port, so move it only together with theirs";

function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Every member of a three-member ceremony but `memberIndex`, as its peers: at port 1, which the
 * HTTP client refuses at once, so no peer is ever reached and none is waited for.
 */
const unreachablePeers = (memberIndex: number) => [0, 1, 2].filter((index) => index !== memberIndex).map((index) => ({ memberIndex: index, url: 'ws://127.0.0.1:1', apiUrl: 'http://127.0.0.1:1' }));

/** A folder with a three-member ceremony, and a writer of member 0's config in it. */
function ceremonyFolder(prefix: string): { dir: string; writeConfig: (values: Record<string, unknown>) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // an embedded server runs as user postgres when the tests run as root
  runLocalCeremony({ dir, members: 3, bitcoinNetwork: 'regtest' });
  const writeConfig = (values: Record<string, unknown>) => {
    const file = join(dir, 'config.json');
    const memberIndex = (values.memberIndex as number | undefined) ?? 0;
    writeFileSync(file, JSON.stringify({ memberIndex, keyFile: join(memberDir(dir, 0), 'key.json'), genesisFile: genesisPath(dir), dataDir: memberDir(dir, 0), peers: unreachablePeers(memberIndex), ...values }));
    return file;
  };
  return { dir, writeConfig };
}

describe('strongbox member start on a port another program holds', function () {
  let dir: string;
  let config: string;
  let apiPort: number;
  let peerPort: number;

  before(async () => {
    const folder = ceremonyFolder('strongbox-ports-');
    dir = folder.dir;
    [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    config = folder.writeConfig({
      // Never reached: the ports are checked before the database or Bitcoin is touched.
      databaseUrl: 'postgres://nobody@127.0.0.1:1/member_0',
      bitcoin: { rpcUrl: 'http://nobody:nothing@127.0.0.1:1' },
      api: { port: apiPort },
      peer: { port: peerPort },
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with one line when the peer host is no address of this machine', async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): no machine has it.
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), peer: { host: '192.0.2.1', port: peerPort } }));
    const result = await runCli(['member', 'start', '--config', elsewhere]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`strongbox: peer.host: cannot listen on 192.0.2.1:${peerPort}: this machine has no such address\n`);
  });

  for (const field of ['api', 'peer'] as const) {
    it(`stops at once with one line naming ${field}.port, before opening anything`, async () => {
      const port = field === 'api' ? apiPort : peerPort;
      const holder = await holdPort(port);
      try {
        const result = await runCli(['member', 'start', '--config', config]);
        expect(result.code).to.equal(1);
        expect(result.stderr).to.equal(`strongbox: ${field}.port: cannot listen on 127.0.0.1:${port}: ${PORT_HELD}\n`);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    });
  }
});

describe('a local network whose member port another program takes before the member listens', function () {
  this.timeout(180_000);
  let dataDir: string;
  let network: LocalNetwork | undefined;
  let squatter: Promise<Server> | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strongbox-e2e-squatted-'));
    chmodSync(dataDir, 0o755); // an embedded server runs as user postgres when the tests run as root
    // What a fresh folder's start does first (initdb, mining) is up-smoke.test.ts's; here, the members' ports.
    await placeInitialisedCluster(join(dataDir, 'postgres', 'cluster'));
    await placeMinedChain(join(dataDir, 'bitcoin'));
  });
  after(async () => {
    await network?.stop();
    const held = await squatter;
    if (held) await new Promise((resolve) => held.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the members again on other ports, says so, and comes up', async () => {
    const said: string[] = [];
    let takenPort: number | undefined;
    network = await startLocalNetwork({
      dataDir,
      members: 3,
      onProgress: (line) => {
        said.push(line);
        // Member 0's config is written, the member not yet listening: the port is taken now.
        if (line === 'starting member 0' && takenPort === undefined) {
          takenPort = (JSON.parse(readFileSync(join(memberDir(dataDir, 0), 'config.json'), 'utf8')) as { api: { port: number } }).api.port;
          // It takes connections and drops them, as a program speaking another protocol would.
          squatter = holdPort(takenPort).then((server) => server.on('connection', (socket) => socket.destroy()));
        }
      },
    });
    expect(said).to.include(
      `member 0 exited with code 1 before the network was up: api.port: cannot listen on 127.0.0.1:${takenPort}: ${PORT_HELD} (its log: ${join(memberDir(dataDir, 0), 'member.log')}): starting the members again on other ports`,
    );
    expect(network.network.members[0]!.apiUrl).to.not.equal(`http://127.0.0.1:${takenPort}`);
    const statuses = await Promise.all(network.network.members.map((member) => new MemberClient(member.apiUrl).status()));
    expect(statuses.map((status) => [...status.peersConnected].sort())).to.deep.equal([[1, 2], [0, 2], [0, 1]]);
  });
});

describe('strongbox member start with a peers list that is not the genesis', function () {
  let dir: string;
  let writeConfig: (values: Record<string, unknown>) => string;

  before(() => ({ dir, writeConfig } = ceremonyFolder('strongbox-peers-')));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Never reached: the peers are checked against the genesis before anything is opened.
  const unreached = { databaseUrl: 'postgres://nobody@127.0.0.1:1/member_0', bitcoin: { rpcUrl: 'http://nobody:nothing@127.0.0.1:1' }, api: { port: 1 }, peer: { port: 2 } };
  const [member1, member2] = unreachablePeers(0) as [ReturnType<typeof unreachablePeers>[number], ReturnType<typeof unreachablePeers>[number]];
  const cases: Array<[string, unknown[], string]> = [
    ['leaves a member out', [member2], 'peers: no entry for member 1 (member-1) of the genesis: list every other member with its peer URL (url) and API URL (apiUrl)'],
    ['names a member the genesis does not have', [member1, member2, { ...member2, memberIndex: 3 }], 'peers[2].memberIndex: the genesis has no member 3: its 3 members are 0 to 2'],
    ['names this member itself', [{ ...member1, memberIndex: 0 }, member1, member2], "peers[0].memberIndex: 0 is this member's own index (memberIndex): peers lists the other members"],
    ['names a member twice', [member1, member2, member1], 'peers[2].memberIndex: member 1 is listed twice'],
  ];
  for (const [what, peers, line] of cases) {
    it(`stops with one line naming the entry when it ${what}, before opening anything`, async () => {
      const result = await runCli(['member', 'start', '--config', writeConfig({ ...unreached, peers })]);
      expect([result.code, result.stderr]).to.deep.equal([1, `strongbox: ${line}\n`]);
    });
  }
});

describe("strongbox member start with another member's key file", function () {
  this.timeout(120_000);
  let dir: string;
  let writeConfig: (values: Record<string, unknown>) => string;

  before(() => ({ dir, writeConfig } = ceremonyFolder('strongbox-wrong-key-')));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("stops with one line naming whose key it is, or that it is no member's", async () => {
    const names = (JSON.parse(readFileSync(genesisPath(dir), 'utf8')) as { members: { name: string }[] }).members.map((member) => member.name);
    // Never reached: the key is checked before anything is opened.
    const unreached = { bitcoin: { rpcUrl: 'http://nobody:nothing@127.0.0.1:1' }, api: { port: 1 }, peer: { port: 2 } };
    const swapped = join(memberDir(dir, 1), 'key.json');
    const given = await runCli(['member', 'start', '--config', writeConfig({ keyFile: swapped, ...unreached })]);
    expect([given.code, given.stderr]).to.deep.equal([1, `strongbox: keyFile: the block key in ${swapped} is not the key of member 0 in the genesis; it is member 1's (${names[1]}): check memberIndex and keyFile\n`]);
    const stranger = join(dir, 'stranger.key.json');
    expect((await runCli(['keygen', '--out', stranger])).code).to.equal(0);
    const foreign = await runCli(['member', 'start', '--config', writeConfig({ keyFile: stranger, ...unreached })]);
    expect([foreign.code, foreign.stderr]).to.deep.equal([1, `strongbox: keyFile: the block key in ${stranger} is not the key of member 0 in the genesis; it is no member's in this genesis: check keyFile and genesisFile\n`]);
  });
});

/** The pids of running processes whose command line holds `text`. */
function processesNaming(text: string): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

describe('strongbox member start without its Bitcoin node', function () {
  this.timeout(90_000);
  let dir: string;
  let writeConfig: (values: Record<string, unknown>) => string;

  before(() => ({ dir, writeConfig } = ceremonyFolder('strongbox-no-bitcoin-')));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Member 0's config with a data folder of its own and no databaseUrl, its Bitcoin node at
   * `bitcoinPort`, by default one that refuses every connection.
   */
  async function withoutBitcoin(folder: string, bitcoinPort?: number): Promise<{ config: string; dataDir: string; bitcoinPort: number }> {
    bitcoinPort ??= await refusedPort();
    const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    const dataDir = join(dir, folder);
    mkdirSync(dataDir, { mode: 0o755 });
    // No databaseUrl: the member starts a Postgres server of its own under dataDir first.
    const config = writeConfig({ dataDir, bitcoin: { rpcUrl: `http://nobody:nothing@127.0.0.1:${bitcoinPort}` }, api: { port: apiPort }, peer: { port: peerPort } });
    return { config, dataDir, bitcoinPort };
  }

  it('stops with one line naming bitcoin.rpcUrl, and stops the embedded database it had started', async () => {
    const { config, dataDir, bitcoinPort } = await withoutBitcoin('data');
    const result = await runCli(['member', 'start', '--config', config]);
    expect(result.stderr).to.equal(`strongbox: bitcoin.rpcUrl: Bitcoin node at http://127.0.0.1:${bitcoinPort} is unreachable (connection refused)\n`);
    expect(result.code).to.equal(1);
    // The server was started (its cluster exists) and stopped again (a running one holds this file).
    expect(existsSync(join(dataDir, 'postgres', 'cluster', 'PG_VERSION'))).to.equal(true);
    expect(existsSync(join(dataDir, 'postgres', 'cluster', 'postmaster.pid'))).to.equal(false);
  });

  it('stopped by Ctrl-C while it makes its embedded Postgres cluster, stops as any start asked to stop does, exit 0 with no stack and nothing left running, and starts again on the same folder', async () => {
    const { config, dataDir, bitcoinPort } = await withoutBitcoin('stopped');
    const cluster = join(dataDir, 'postgres', 'cluster');
    // In a process group of its own, as a command in a terminal is; the terminal's Ctrl-C reaches
    // the whole group, initdb included.
    const member = spawn(process.execPath, [fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url)), 'member', 'start', '--config', config], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    member.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
    member.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => member.once('close', (code) => resolve(code)));
    await eventually('initdb running', async () => processesNaming(`--pgdata=${cluster}`).length > 0, 60_000);
    process.kill(-member.pid!, 'SIGINT');
    expect(await exited, output.stderr).to.equal(0);
    expect(output.stderr).to.equal('');
    const lines = output.stdout.trim().split('\n');
    expect(lines.at(-1)).to.include('"msg":"member stopped while starting"');
    expect(lines.filter((line) => /"level":"(error|fatal)"|"stack"/.test(line)), 'error lines').to.deep.equal([]);
    expect(processesNaming(cluster), 'no initdb or server left').to.deep.equal([]);
    // Nothing half-made blocks the next start, which makes the cluster and goes on to the Bitcoin node.
    const again = await runCli(['member', 'start', '--config', config]);
    expect([again.code, again.stderr]).to.deep.equal([1, `strongbox: bitcoin.rpcUrl: Bitcoin node at http://127.0.0.1:${bitcoinPort} is unreachable (connection refused)\n`]);
  });

  it('stopped by SIGTERM while it waits on a Bitcoin node that takes its connection and never answers, stops at once, exit 0, saying what it waited on', async () => {
    const node = await holdPort(0);
    const { config, bitcoinPort } = await withoutBitcoin('silent-node', (node.address() as AddressInfo).port);
    const asked = new Promise<Socket>((resolve) => node.once('connection', resolve));
    const member = spawn(process.execPath, [fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url)), 'member', 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    member.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
    member.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => member.once('close', (code) => resolve(code)));
    const connection = await asked;
    try {
      member.kill('SIGTERM');
      // Not the RPC timeout's end, 30 s on, with exit 1 and `bitcoin.rpcUrl: … unreachable (no answer within 30 s)`.
      expect(await exited, output.stderr).to.equal(0);
    } finally {
      connection.destroy();
      node.close();
    }
    expect(output.stderr).to.equal('');
    const last = JSON.parse(output.stdout.trim().split('\n').at(-1)!) as { msg: string; waitingFor?: string };
    expect([last.msg, last.waitingFor]).to.deep.equal(['member stopped while starting', `its Bitcoin node at http://127.0.0.1:${bitcoinPort}`]);
  });
});

describe('a member whose embedded Postgres server stops under it', function () {
  this.timeout(120_000);
  let dir: string;
  let writeConfig: (values: Record<string, unknown>) => string;

  before(() => ({ dir, writeConfig } = ceremonyFolder('strongbox-server-gone-')));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The last member, which dials no one and so runs alone, waiting for the others, on a server of its own; and that server's cluster. */
  async function runningAlone(folder: string): Promise<{ running: Promise<CliResult>; cluster: string }> {
    const { node } = await sharedRegtest();
    const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    const dataDir = join(dir, folder);
    mkdirSync(dataDir, { mode: 0o755 });
    const config = writeConfig({ memberIndex: 2, keyFile: join(memberDir(dir, 2), 'key.json'), dataDir, bitcoin: { rpcUrl: node.rpcUrl }, api: { port: apiPort }, peer: { port: peerPort } });
    const running = runCli(['member', 'start', '--config', config]);
    const exitedEarly = running.then((early) => Promise.reject(new Error(`the member exited at start: ${early.stderr}`)));
    await Promise.race([eventually('the member answering', () => new MemberClient(`http://127.0.0.1:${apiPort}`).status().then(() => true), 60_000), exitedEarly]);
    return { running, cluster: join(dataDir, 'postgres', 'cluster') };
  }

  it('stops with one line naming the server, instead of retrying a database nobody restarts', async () => {
    const { running, cluster } = await runningAlone('data');
    await stopPostmaster(postmasterPid(cluster)!, 15_000);
    const result = await running;
    expect([result.code, result.stderr]).to.deep.equal([1, `strongbox: embedded Postgres: the server of ${cluster} stopped or is shutting down under the running member, which stops too: start the member again and it starts the server\n`]);
  });

  it('stops with one line when the server is asked to shut down (smart shutdown), whose new sessions it would wait for in vain, and so lets it end', async () => {
    const { running, cluster } = await runningAlone('data-smart');
    const postmaster = postmasterPid(cluster)!;
    // pg_ctl stop -m smart: no new sessions, and the server exits once the open ones have ended.
    process.kill(postmaster, 'SIGTERM');
    const result = await running;
    expect([result.code, result.stderr]).to.deep.equal([1, `strongbox: embedded Postgres: the server of ${cluster} stopped or is shutting down under the running member, which stops too: start the member again and it starts the server\n`]);
    await eventually('the server to end once the member has closed its sessions', async () => !isAlive(postmaster));
  });
});
