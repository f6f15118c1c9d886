import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toHex, txId } from '../../sidechain/transaction/ids.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { decodeBlock } from '../../sidechain/block.ts';
import { DEFAULT_TIMEOUTS } from '../../federation/consensus/config.ts';
import { eventually, REFUSED_START_WAITS, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { scrape } from '../helpers/prometheus.ts';
import { runCli, startCli, type CliResult } from '../helpers/cli.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { readNetworkFile, writeNetworkFile } from '../../federation/local-network/network-file.ts';
import { findFreePorts } from '../../regtest/free-port.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { submitUntilFinal } from '../../cli/submit.ts';
import { killingRelay } from '../helpers/killing-relay.ts';
import { refusedPort } from '../helpers/refused-port.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

/**
 * Five member processes, each with its own Postgres database, on a real regtest node: the
 * federation as operators run it.
 */
describe('federation of five member processes', function () {
  this.timeout(180_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork(5);
  });
  after(() => net?.stop());

  const tips = () => Promise.all(net.clients.map((client) => client.status().then((s) => ({ height: s.height, hash: s.tipHash }), () => null)));

  async function finalEverywhere(txid: string, members: number[] = [0, 1, 2, 3, 4]): Promise<number> {
    const heights = await Promise.all(members.map((i) => net.clients[i]!.waitForFinal(txid, { timeoutMs: 30_000 })));
    const height = heights[0]!.height!;
    expect(heights.every((h) => h.height === height), 'same height on every member').to.equal(true);
    return height;
  }

  it('is up only once every member is linked to the four others', async () => {
    const linked = await Promise.all(net.clients.map((client) => client.status().then((status) => status.peersConnected)));
    expect(linked).to.deep.equal([[1, 2, 3, 4], [0, 2, 3, 4], [0, 1, 3, 4], [0, 1, 2, 4], [0, 1, 2, 3]]);
  });

  it('puts transactions sent to different members into the same final blocks on all members', async () => {
    const issuers = [testWallet(), testWallet(), testWallet()];
    const txids = await Promise.all(issuers.map((issuer, i) => net.clients[i]!.submit(issuance(net.genesis.chainId, issuer, 1_000n).tx)));
    for (const txid of txids) await finalEverywhere(txid);
    const top = Math.max(...(await tips()).map((tip) => tip!.height));
    let seen: unknown;
    await eventually('all members at the same tip', async () => {
      const now = await tips();
      seen = now;
      return now.every((tip) => tip && tip.height === top && tip.hash === now[0]!.hash);
    }).catch((error: Error) => {
      throw new Error(`${error.message}; tips ${JSON.stringify(seen)}`);
    });
    for (const issuer of issuers) {
      const balances = await Promise.all(net.clients.map((client) => client.balances(issuer.address)));
      for (const balance of balances) expect(balance.map((b) => b.amount)).to.deep.equal([1_000n]);
    }
  });

  it('relays what one member admits to every other member', async () => {
    const relayed = async (member: number) => {
      const samples = await scrape(net.clients[member]!.baseUrl);
      return (samples.get('strongbox_relayed_transactions_total{outcome="admitted"}') ?? 0) + (samples.get('strongbox_relayed_transactions_total{outcome="refused"}') ?? 0);
    };
    const others = [0, 2, 3, 4];
    const before = await Promise.all(others.map(relayed));
    const issuers = Array.from({ length: 30 }, () => testWallet());
    const txids = await Promise.all(issuers.map((issuer) => net.clients[1]!.submit(issuance(net.genesis.chainId, issuer, 5n).tx)));
    for (const txid of txids) await finalEverywhere(txid);
    // Each of the others heard all thirty from member 1, whether or not a block had them first.
    await eventually('every relayed transaction counted', async () => (await Promise.all(others.map(relayed))).every((count, i) => count - before[i]! === 30));
  });

  it('refuses a double spend and keeps balances exact on every member', async () => {
    const alice = testWallet();
    const bob = testWallet();
    const carol = testWallet();
    const { tx, asset } = issuance(net.genesis.chainId, alice, 500n);
    await finalEverywhere(await net.clients[0]!.submit(tx));
    const coin = { txid: txId(tx), index: 0, amount: 500n };
    const toBob = transfer(net.genesis.chainId, alice, coin, asset, bob.owner, 200n);
    const toCarol = transfer(net.genesis.chainId, alice, coin, asset, carol.owner, 300n);
    const bobTxid = await net.clients[1]!.submit(toBob);
    const error = await net.clients[1]!.submit(toCarol).then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/spent|pending|double/i);
    await finalEverywhere(bobTxid);
    for (const client of net.clients) {
      expect((await client.balances(bob.address)).map((b) => b.amount)).to.deep.equal([200n]);
      expect((await client.balances(alice.address)).map((b) => b.amount)).to.deep.equal([300n]);
      expect(await client.balances(carol.address)).to.deep.equal([]);
    }
  });

  it('makes no empty block after work one member brought: one block per transaction, then the chain rests', async () => {
    // Each transaction is sent to one member and final everywhere before the next: that member
    // relays it before any consensus message, so the proposer holds it when it is woken. A height
    // started by anything else (a late vote for the height just committed) shows as a block more.
    const before = (await tips())[0]!.height;
    for (let i = 0; i < 5; i++) await finalEverywhere(await net.clients[i]!.submit(issuance(net.genesis.chainId, testWallet(), 1n).tx));
    // Three propose timeouts: a height started by a late vote would have made its block by then.
    await new Promise((resolve) => setTimeout(resolve, 3 * DEFAULT_TIMEOUTS.proposeMs));
    expect((await tips()).map((status) => status!.height)).to.deep.equal(Array(5).fill(before + 5));
    for (let height = before + 1; height <= before + 5; height++) {
      const { transactions } = decodeBlock(Buffer.from((await net.clients[0]!.finalBlock(height)).block, 'hex'));
      expect(transactions.length, `transactions in block ${height}`).to.equal(1);
    }
  });

  it('keeps finalizing with one member killed, and the member catches up after a restart', async () => {
    net.network.members[4]!.process.kill('SIGKILL');
    await net.network.members[4]!.exited;
    const issuer = testWallet();
    const txid = await net.clients[0]!.submit(issuance(net.genesis.chainId, issuer, 7n).tx);
    const height = await finalEverywhere(txid, [0, 1, 2, 3]);
    // Restarted on its database with a mistyped Bitcoin node, it stops with the reason instead of running blind.
    const closedPort = await refusedPort();
    const mistyped = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 4), 'config.json')], { env: { STRONGBOX_BITCOIN_RPC_URL: `http://nobody:nothing@127.0.0.1:${closedPort}` } });
    expect([mistyped.code, mistyped.stderr]).to.deep.equal([1, `strongbox: bitcoin.rpcUrl: Bitcoin node at http://127.0.0.1:${closedPort} is unreachable (connection refused)\n`]);
    // The same for a database it cannot reach: one line naming databaseUrl, not a stack trace.
    const noDatabase = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 4), 'config.json')], { env: { DATABASE_URL: `postgres://nobody:nothing@127.0.0.1:${closedPort}/member_4` } });
    expect([noDatabase.code, noDatabase.stderr]).to.deep.equal([1, `strongbox: databaseUrl: cannot reach the member's database (connect ECONNREFUSED 127.0.0.1:${closedPort})\n`]);
    // A deposit address is registered with the four members up, enough to mint, and the one away is named.
    const recipient = testWallet().address;
    const registered = await runCli(['pegin-address', recipient, '--json'], { env: { STRONGBOX_HOME: net.network.dataDir } });
    const away = net.network.network.members[4]!.apiUrl;
    expect([registered.code, registered.stderr]).to.deep.equal([0, `could not register the deposit address with ${away} (out of reach); 4 members did, and a mint needs 4. Once it is back: strongbox pegin-address ${recipient} --member ${away}\n`]);
    expect((JSON.parse(registered.stdout) as { registeredWith: string[] }).registeredWith).to.deep.equal(net.network.network.members.slice(0, 4).map((member) => member.apiUrl));
    net.network.restartMember(4);
    await eventually('member 4 back at the tip', async () => {
      const status = await net.clients[4]!.status();
      return status.height >= height;
    }, 60_000);
    expect((await net.clients[4]!.balances(issuer.address)).map((b) => b.amount)).to.deep.equal([7n]);
    const after = await tips();
    const reference = (await net.clients[0]!.finalBlock(height)).block;
    expect((await net.clients[4]!.finalBlock(height)).block).to.equal(reference);
    expect(after[4]!.height).to.be.at.least(height);
  });

  it("refuses a second process started on a member's database, naming the first, which keeps running", async () => {
    const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    const second = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 2), 'config.json')], { env: { ...REFUSED_START_WAITS, STRONGBOX_API_PORT: String(apiPort), STRONGBOX_PEER_PORT: String(peerPort) } });
    expect(second.code).to.equal(1);
    const first = `strongbox member 2 \\(pid ${net.network.members[2]!.process.pid} on \\S+\\), connected over the server's Unix-domain socket \\(server process \\d+\\)`;
    expect(second.stderr).to.match(new RegExp(`^strongbox: databaseUrl: the member's database is in use by ${first}: two member processes on one database would both sign from its consensus log; stop that one first\\n$`));
    expect(net.network.members[2]!.process.exitCode).to.equal(null);
    await finalEverywhere(await net.clients[2]!.submit(issuance(net.genesis.chainId, testWallet(), 3n).tx));
  });

  /** What member 2's key in a second process is refused with, while the first runs linked to the four others. */
  const member2KeyInUse = () => `strongbox: keyFile: member 2's key is in use by another running process: ${[0, 1, 3, 4].map((index) => net.genesis.file.members[index]!.name).join(', ')} still hold a link from it after 2 s; two processes with one key would both sign blocks, so stop that one first\n`;

  /**
   * Member 2's key in a second process, on a fresh database, left by the refusal as the key
   * question guards it: nothing in its consensus log, no evidence of member 2 signing twice
   * anywhere, the first process linked to the four others as before and signing blocks. (Final
   * blocks it may have fetched meanwhile are the chain's, as any start stores them.)
   */
  async function expectRefusedSecondProcess(database: TestDatabase, refused: CliResult): Promise<void> {
    expect([refused.code, refused.stderr]).to.deep.equal([1, member2KeyInUse()]);
    expect(refused.stdout).to.not.include('"msg":"member started"');
    const { rows } = await database.pool.query<{ wal: string; evidence: string }>('SELECT (SELECT count(*) FROM consensus_wal) AS wal, (SELECT count(*) FROM evidence) AS evidence');
    expect(rows[0], 'what the refused process wrote of its own signing').to.deep.equal({ wal: '0', evidence: '0' });
    const evidence = await Promise.all(net.clients.map(async (client) => ((await (await fetch(`${client.baseUrl}/evidence`)).json()) as { evidence: unknown[] }).evidence));
    expect(evidence).to.deep.equal(net.clients.map(() => []));
    expect(net.network.members[2]!.process.exitCode).to.equal(null);
    expect((await net.clients[2]!.status()).peersConnected).to.deep.equal([0, 1, 3, 4]);
    await finalEverywhere(await net.clients[2]!.submit(issuance(net.genesis.chainId, testWallet(), 4n).tx));
  }

  it("refuses a second process with a member's key on a database of its own, naming the members linked to the first, with nothing changed", async () => {
    const database = await freshDatabase('member_2_copy');
    try {
      const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
      const copy = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 2), 'config.json')], {
        env: { ...REFUSED_START_WAITS, STRONGBOX_API_PORT: String(apiPort), STRONGBOX_PEER_PORT: String(peerPort), DATABASE_URL: database.url },
      });
      await expectRefusedSecondProcess(database, copy);
    } finally {
      await database.drop();
    }
  });

  it("asks whether its key is in use while its chain loads: a second process with a member's key, its peers' answers held until it has loaded its chain, is refused with nothing changed", async () => {
    // Proxies in front of the other members' APIs pass every request on, but hold each /status
    // (the key question) until the process has logged "chain loaded". A key question asked
    // before the chain loads gives up on them after 3 s, counts the peers as silent and starts.
    let chainLoaded = false;
    const held: (() => void)[] = [];
    const folder = memberDir(net.network.dataDir, 2);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { peers: { apiUrl: string }[] };
    const proxies: Server[] = [];
    for (const peer of config.peers) {
      const target = peer.apiUrl;
      const proxy = createServer((request, response) => {
        const passOn = () =>
          fetch(`${target}${request.url}`).then(
            async (answer) => response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer())),
            () => request.socket.destroy(),
          );
        if (request.url === '/status' && !chainLoaded) held.push(passOn);
        else void passOn();
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxies.push(proxy);
      peer.apiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    }
    const heldConfig = join(folder, 'config-answers-held.json');
    writeFileSync(heldConfig, JSON.stringify(config));
    const database = await freshDatabase('member_2_held');
    try {
      const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
      const second = spawn(process.execPath, [CLI, 'member', 'start', '--config', heldConfig], {
        env: { ...process.env, ...REFUSED_START_WAITS, STRONGBOX_API_PORT: String(apiPort), STRONGBOX_PEER_PORT: String(peerPort), DATABASE_URL: database.url },
      });
      const output = { stdout: '', stderr: '' };
      second.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
      second.stdout.on('data', (chunk: Buffer) => {
        output.stdout += chunk.toString('utf8');
        if (!chainLoaded && output.stdout.includes('"msg":"chain loaded"')) {
          chainLoaded = true;
          for (const answer of held.splice(0)) answer();
        }
        // Started beside the first: stopped at once, for the refusal below to fail on it.
        if (output.stdout.includes('"msg":"member started"')) second.kill('SIGTERM');
      });
      const [code] = (await once(second, 'close')) as [number | null];
      expect(chainLoaded, 'the second process loaded its chain').to.equal(true);
      await expectRefusedSecondProcess(database, { code: code ?? 1, ...output });
    } finally {
      for (const proxy of proxies) proxy.close();
      rmSync(heldConfig, { force: true });
      await database.drop();
    }
  });

  it("refuses to start a member on another member's database, which that member then starts on as before", async () => {
    net.network.members[3]!.process.kill('SIGKILL');
    await net.network.members[3]!.exited;
    const { databaseUrl } = JSON.parse(readFileSync(join(memberDir(net.network.dataDir, 3), 'config.json'), 'utf8')) as { databaseUrl: string };
    const [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    const swapped = await runCli(['member', 'start', '--config', join(memberDir(net.network.dataDir, 2), 'config.json')], {
      env: { STRONGBOX_API_PORT: String(apiPort), STRONGBOX_PEER_PORT: String(peerPort), DATABASE_URL: databaseUrl },
    });
    expect([swapped.code, swapped.stderr]).to.deep.equal([
      1,
      `strongbox: databaseUrl: the database belongs to member 3 (${net.genesis.file.members[3]!.name}), not to member 2: give each member its own database (databaseUrl, DATABASE_URL or dataDir), and this config the genesis of its chain (genesisFile)\n`,
    ]);
    net.network.restartMember(3);
    await eventually('member 3 answering on its own database', () => net.clients[3]!.status().then(() => true), 60_000);
    await finalEverywhere(await net.clients[3]!.submit(issuance(net.genesis.chainId, testWallet(), 5n).tx));
  });

  it('halts without forking when two of five are down, and resumes when one returns', async () => {
    // A holder whose coin a transaction left pending while blocks halt spends it again from the CLI.
    const holderFile = join(mkdtempSync(join(tmpdir(), 'strongbox-federation-')), 'holder.wallet.json');
    expect((await runCli(['wallet', 'new', '--file', holderFile])).code).to.equal(0);
    const holder = readWalletFile(holderFile);
    const held = issuance(net.genesis.chainId, holder, 5n);
    await finalEverywhere(await net.clients[0]!.submit(held.tx));
    for (const index of [3, 4]) {
      net.network.members[index]!.process.kill('SIGKILL');
      await net.network.members[index]!.exited;
    }
    const before = (await net.clients[0]!.status()).height;
    const issuer = testWallet();
    const txid = await net.clients[0]!.submit(issuance(net.genesis.chainId, issuer, 9n).tx);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const index of [0, 1, 2]) {
      const status = await net.clients[index]!.status();
      expect(status.height, `member ${index} made no block without a quorum`).to.equal(before);
      expect((await net.clients[index]!.transaction(txid)).status).to.equal('pending');
    }
    // A user waiting for it is told why it does not become final.
    const waited = await net.clients[0]!.waitForFinal(txid, { timeoutMs: 1_000 }).then(() => null, (e: Error) => e.message);
    expect(waited).to.match(new RegExp(`^transaction ${txid} is not final after 1 s: it waits in the member's mempool, and the chain has made no block for [0-9]+ s \\(since block ${before}\\): member 0 reaches only 3 of the 4 members \\(k of 5\\) a block needs; blocks resume once enough of them answer \\(\`strongbox status\` shows which\\)$`));
    // Ctrl-C while a send waits for its block stops the waiting, not the transaction: said, so that the user does not send it again.
    const sendArgs = ['send', '--asset', toHex(held.asset), '--to', testWallet().address, '--amount', '5', '--file', holderFile];
    const waiting = await startCli(sendArgs, /waiting for finality/, { env: { STRONGBOX_HOME: net.network.dataDir } });
    const pendingSpend = /^submitted ([0-9a-f]{64}),/.exec(waiting.stderr())![1]!;
    waiting.child.kill('SIGINT');
    const interrupted = await waiting.result;
    expect([interrupted.code, interrupted.stderr.split('\n').slice(1)], `signal ${waiting.child.signalCode}; stderr: ${interrupted.stderr}`).to.deep.equal([
      130,
      [
        `strongbox: interrupted while waiting: ${pendingSpend} was submitted and becomes final without this command (\`strongbox tx ${pendingSpend}\` says when); run again while ${pendingSpend} is pending, the same command line builds this very transaction, which the chain applies once; once it is final, running it again sends another payment`,
        '',
      ],
    ]);
    const shown = await runCli(['tx', pendingSpend, '--member', net.network.network.members[0]!.apiUrl]);
    expect([shown.code, shown.stdout]).to.deep.equal([0, `${pendingSpend}: pending, waiting for its block, but member 0 reaches only 3 of the 4 members (k of 5) a block needs; blocks resume once enough of them are back (\`strongbox status\` shows which)\n`]);
    // A pending transfer is no burn, and has no proof until it is final: both said, with what to do.
    const asBurn = await runCli(['pegout', 'status', pendingSpend, '--no-wait', '--member', net.network.network.members[0]!.apiUrl]);
    expect([asBurn.code, asBurn.stderr]).to.deep.equal([1, `strongbox: ${pendingSpend} is a pending transaction on this chain, not a burn: \`pegout status\` takes the burn transaction id that \`pegout\` printed ("burned in …")\n`]);
    const proofOfPending = await runCli(['proof', pendingSpend, '--member', net.network.network.members[0]!.apiUrl]);
    expect([proofOfPending.code, proofOfPending.stdout, proofOfPending.stderr]).to.deep.equal([1, '', `strongbox: ${pendingSpend} is pending, waiting for its block: its proof exists once it is final (\`strongbox tx ${pendingSpend}\` says when)\n`]);
    // A command choosing among final coins one that a pending transaction spends is told why it is refused.
    const again = await runCli(['send', '--asset', toHex(held.asset), '--to', testWallet().address, '--amount', '5', '--file', holderFile], { env: { STRONGBOX_HOME: net.network.dataDir } });
    expect([again.code, again.stderr]).to.deep.equal([1, `strongbox: input ${toHex(txId(held.tx))}:0 is already spent by pending transaction ${pendingSpend}, waiting for its block: nothing was sent; run this again once that one is final (\`strongbox status\` shows the pending transactions and whether blocks are being made)\n`]);
    // Registering a deposit address with three members would leave it short of k: refused, naming who is away.
    const short = await runCli(['pegin-address', testWallet().address], { env: { STRONGBOX_HOME: net.network.dataDir } });
    const awayNow = net.network.network.members.slice(3).map((member) => member.apiUrl).join(' ');
    expect([short.code, short.stderr]).to.deep.equal([1, `strongbox: could not register the deposit address with enough members: 3 did and a mint needs 4; out of reach: ${awayNow}. Try again once they are back\n`]);
    // A deposit at its depth while blocks halt: `pegin status` says why its mint does not come.
    const payee = testWallet();
    const depositAddress = (await Promise.all(net.clients.slice(0, 3).map((client) => client.registerDepositAddress(payee.address))))[0]!;
    const faucet = new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl));
    const deposit = await faucet.fund(depositAddress, 100_000n);
    await faucet.mine(2);
    const following = await startCli(['pegin', 'status', deposit, '--member', net.network.network.members[0]!.apiUrl], /waiting for the mint.*…\n/);
    following.child.kill('SIGINT');
    await following.result;
    expect(following.stderr().split('\n')[0]).to.equal('output 0: 2 confirmations of 2, waiting for the mint, but member 0 reaches only 3 of the 4 members (k of 5) a block needs: no block is made until more are back…');
    // Member 0 dials members 3 and 4, and says why it has no link to them, with since when.
    const { peers } = JSON.parse(readFileSync(join(memberDir(net.network.dataDir, 0), 'config.json'), 'utf8')) as { peers: { memberIndex: number; url: string }[] };
    const refusedAt = (index: number) => `connection refused at ${peers.find((peer) => peer.memberIndex === index)!.url} (not running?)`;
    const { peersDown } = await net.clients[0]!.status();
    expect(peersDown!.map(({ memberIndex, code, reason }) => ({ memberIndex, code, reason }))).to.deep.equal([3, 4].map((memberIndex) => ({ memberIndex, code: 'dial-error', reason: refusedAt(memberIndex) })));
    const said = await runCli(['status', '--member', net.network.network.members[0]!.apiUrl]);
    const downLines = peersDown!.map(({ memberIndex, sinceMs }) => `member ${memberIndex} not linked since ${new Date(sinceMs).toISOString()}: ${refusedAt(memberIndex)}`);
    expect(said.stdout).to.match(/\nmember   0, connected to members 1, 2\n/);
    expect(said.stdout.split('\n').slice(4, 6)).to.deep.equal(downLines);
    expect(said.stdout).to.match(/\nquorum   member 0 reaches only 3 of the 4 members \(k of 5\) a block needs: no block is made until more are back\nbitcoin  block \d+ read\n$/);
    const saidAsJson = JSON.parse((await runCli(['status', '--json', '--member', net.network.network.members[0]!.apiUrl])).stdout) as { peersDown: unknown };
    expect(saidAsJson.peersDown).to.deep.equal(peersDown);
    net.network.restartMember(3);
    await eventually('member 3 answering again', () => net.clients[3]!.status().then(() => true), 60_000);
    // The chain resumes at the height it halted at. A proposer re-proposes the latest block it
    // found valid at the height, so a block checked while blocks halted, built before the issuance
    // arrived, may be decided first and the issuance in the next.
    const height = await finalEverywhere(txid, [0, 1, 2, 3]);
    expect(height).to.be.oneOf([before + 1, before + 2]);
    const resumedAt = await Promise.all([0, 1, 2, 3].map(async (index) => (await net.clients[index]!.finalBlock(before + 1)).block));
    expect(new Set(resumedAt).size, 'one block at the height blocks halted at').to.equal(1);
    // The pending spend is final (in this block or the next: a proposal made while blocks halted may hold only the issuance), and the refused send left no trace.
    await finalEverywhere(pendingSpend, [0, 1, 2, 3]);
    expect(await net.clients[0]!.balances(holder.address)).to.deep.equal([]);
    rmSync(dirname(holderFile), { recursive: true, force: true });
    net.network.restartMember(4);
    await eventually('member 4 caught up', async () => (await net.clients[4]!.status()).height >= height, 60_000);
    const hashes = await Promise.all(net.clients.map(async (client) => (await client.finalBlock(height)).block));
    expect(new Set(hashes).size, 'one block at that height on every member').to.equal(1);

    // With member 0 down, commands given no --member go on with the next member of the local network.
    net.network.members[0]!.process.kill('SIGKILL');
    await net.network.members[0]!.exited;
    const status = await runCli(['status', '--json'], { env: { STRONGBOX_HOME: net.network.dataDir } });
    expect([status.code, status.stderr]).to.deep.equal([0, `member at ${net.network.network.members[0]!.apiUrl} is unreachable; ${net.network.network.members[1]!.apiUrl} answered instead\n`]);
    expect(JSON.parse(status.stdout)).to.include({ memberIndex: 1 });
    net.network.restartMember(0);
    await eventually('member 0 answering again', () => net.clients[0]!.status().then(() => true), 60_000);
  });

  it('reports a send final, once, when the member it submits to is killed after admitting it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strongbox-federation-'));
    const holderFile = join(home, 'holder.wallet.json');
    expect((await runCli(['wallet', 'new', '--file', holderFile])).code).to.equal(0);
    const holder = readWalletFile(holderFile);
    const held = issuance(net.genesis.chainId, holder, 10n);
    await finalEverywhere(await net.clients[0]!.submit(held.tx));
    // Member 0 is reached through a relay that kills it once it has answered the submission, and drops that answer.
    const { url: relayUrl, close } = await killingRelay(net, 0, 'answered');
    const network = readNetworkFile(net.network.dataDir);
    writeNetworkFile(home, { ...network, members: network.members.map((member) => (member.memberIndex === 0 ? { ...member, apiUrl: relayUrl } : member)) });
    const recipient = testWallet();
    const sent = await runCli(['send', '--asset', toHex(held.asset), '--to', recipient.address, '--amount', '4', '--file', holderFile, '--json'], { env: { STRONGBOX_HOME: home } });
    await net.network.members[0]!.exited;
    close();
    expect([sent.code, sent.stderr]).to.deep.equal([0, `member at ${relayUrl} is unreachable; ${network.members[1]!.apiUrl} answered instead\n`]);
    const { txid, height } = JSON.parse(sent.stdout) as { txid: string; height: number };
    expect(await finalEverywhere(txid, [1, 2, 3, 4])).to.equal(height);
    const spent = await net.clients[1]!.transaction(toHex(txId(held.tx)));
    expect(spent.spenders!.map((spender) => spender.spentBy)).to.deep.equal([txid]);
    expect(await net.clients[1]!.balances(holder.address)).to.deep.equal([{ asset: toHex(held.asset), amount: 6n }]);
    expect(await net.clients[1]!.balances(recipient.address)).to.deep.equal([{ asset: toHex(held.asset), amount: 4n }]);
    rmSync(home, { recursive: true, force: true });
    net.network.restartMember(0);
    await eventually('member 0 answering again', () => net.clients[0]!.status().then(() => true), 60_000);
  });

  it('tells a send run again that its very transaction was already submitted, sending nothing, though the member it submits to dies taking a submission', async () => {
    const holder = testWallet();
    const held = issuance(net.genesis.chainId, holder, 10n);
    await finalEverywhere(await net.clients[1]!.submit(held.tx));
    const recipient = testWallet();
    // The transaction a first run made final; a run again after it was interrupted signs the same bytes.
    const pay = transfer(net.genesis.chainId, holder, { txid: txId(held.tx), index: 0, amount: 10n }, held.asset, recipient.owner, 4n);
    const height = await finalEverywhere(await net.clients[1]!.submit(pay));
    const relay = await killingRelay(net, 0, 'answered');
    try {
      const again = await submitUntilFinal(new MemberClient([relay.url, net.network.network.members[1]!.apiUrl]), pay, { json: true }, { rerun: 'sends another payment' }).catch((error: unknown) => error);
      expect(again).to.be.instanceOf(ValidationError).and.include({
        code: 'already-submitted',
        message: `this very transaction, ${toHex(txId(pay))}, was already submitted (an identical one was sent before or at the same time) and is final at height ${height}: nothing new was sent`,
      });
    } finally {
      relay.close();
    }
    // Asked for before it was sent, it was not sent: member 0 took no submission and is still up.
    expect((await net.clients[0]!.status()).height).to.be.at.least(height);
    expect(await net.clients[0]!.balances(recipient.address)).to.deep.equal([{ asset: toHex(held.asset), amount: 4n }]);
    expect(await net.clients[0]!.balances(holder.address)).to.deep.equal([{ asset: toHex(held.asset), amount: 6n }]);
  });
});
