import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { hungMember } from '../helpers/hung-member.ts';
import { refusedPort, refusedUrls } from '../helpers/refused-port.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { writeNetworkFile } from '../../federation/local-network/network-file.ts';

/** `anchors` reads nothing but the member: what a wrong --member gets is all that is tested. */
const anchorsFrom = (member: string) => runCliInProcess(['anchors', '--member', member], { cwd: tmpdir(), env: {} });

describe('--member as a user types it', () => {
  let other: Server;
  let otherUrl: string;

  before(async () => {
    // Another service on the port, as a Bitcoin node's RPC would answer a request without credentials.
    other = createServer((_request, response) => response.writeHead(401).end());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherUrl = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
  });
  after(() => new Promise((resolve) => other.close(resolve)));

  const refusals: Array<[string, string, string]> = [
    ['without a scheme', '127.0.0.1:8100', 'strongbox: --member: "127.0.0.1:8100" is not a URL; a member\'s API address looks like http://127.0.0.1:8100\n'],
    ['of another scheme', 'ws://127.0.0.1:9100', 'strongbox: --member: ws://127.0.0.1:9100 is not an http:// or https:// address\n'],
    ['of the explorer', 'http://127.0.0.1:8100/explorer/#/block/3', "strongbox: --member: http://127.0.0.1:8100/explorer/#/block/3 is the member's explorer; its API address is http://127.0.0.1:8100\n"],
  ];
  for (const [what, member, line] of refusals) {
    it(`refuses a URL ${what} with one line naming the API address to give`, async () => {
      const result = await anchorsFrom(member);
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: line });
    });
  }

  it('says why a member cannot be reached', async () => {
    const port = await refusedPort();
    const result = await anchorsFrom(`http://127.0.0.1:${port}`);
    expect(result).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: member at http://127.0.0.1:${port} is unreachable (connection refused)\n` });
  });

  it('says to use http:// for a member that speaks plain HTTP, and that a blocked port cannot be reached', async () => {
    const tls = otherUrl.replace('http://', 'https://');
    expect(await anchorsFrom(tls)).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: member at ${tls} is unreachable (it answers plain HTTP, not TLS: use http://)\n` });
    expect(await anchorsFrom('http://127.0.0.1:9')).to.deep.equal({ code: 1, stdout: '', stderr: 'strongbox: member at http://127.0.0.1:9 is unreachable (a port the HTTP client refuses, as browsers do: no member can be reached there)\n' });
  });

  it('says that a server answering without a Strongbox error is not a member', async () => {
    const result = await anchorsFrom(otherUrl);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(new RegExp(`^strongbox: ${otherUrl} answered /anchors(\\?\\S*)? with HTTP 401 and no Strongbox error: is it a member's API address\\?\\n$`));
  });

  it('says that a member without the route a command asks for runs an older release, to upgrade', async () => {
    // What a member of a release before the route answers (federation/api/app.ts).
    const older = createServer((request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not-found', message: `no route ${request.method} ${request.url!.split('?')[0]}` } }));
    });
    await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
    const olderUrl = `http://127.0.0.1:${(older.address() as { port: number }).port}`;
    try {
      const result = await anchorsFrom(olderUrl);
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: no route GET /anchors at ${olderUrl}: that member runs an older Strongbox release than this one; upgrade it (OPERATOR.md, "Upgrading")\n` });
    } finally {
      await new Promise((resolve) => older.close(resolve));
    }
  });
});

describe('--member without a genesis file or a local network', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'strongbox-no-network-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const line = "strongbox: --genesis: no genesis file given: with --member, name the chain's genesis file with --genesis or STRONGBOX_GENESIS_FILE (the member's answers are checked against it)\n";
  const recipient = 'sbx1qq8vvw2gq7zzyg5fkges4j0u8gmrne66hq87vq2em5cm9nrlv7kmy7xgx70';
  const commands: Array<[string, string[]]> = [
    ['pegin-address', ['pegin-address', recipient]],
    ['audit', ['audit', '--bitcoin-rpc', 'http://user:password@127.0.0.1:9']],
  ];
  for (const [name, args] of commands) {
    it(`${name} names the missing --genesis, not a local network to point at`, async () => {
      const result = await runCliInProcess([...args, '--member', 'http://127.0.0.1:9', '--data-dir', folder], { cwd: folder, env: {} });
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: line });
    });
  }

  for (const args of [['info'], ['verify-proof', 'burn.proof.json'], ['verify-block', 'block-20.json']]) {
    it(`${args[0]}, which asks no member, names --genesis alone as what to give it`, async () => {
      const result = await runCliInProcess([...args, '--data-dir', folder], { cwd: folder, env: {} });
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: no local network at ${folder}: if one runs elsewhere, point at its folder with STRONGBOX_HOME or --data-dir (or name the genesis file with --genesis); else start one with \`npm start\`\n` });
    });
  }
});

describe('the local network, when no member of it answers', () => {
  it('says so in one line, naming the folder and how to start it, with nothing said of members passed over or asked at once, nor of its Bitcoin node', async () => {
    const home = mkdtempSync(join(tmpdir(), 'strongbox-down-'));
    try {
      const down = await refusedUrls(3);
      const bitcoinPort = await refusedPort();
      writeNetworkFile(home, { bitcoinRpcUrl: `http://strongbox:secret@127.0.0.1:${bitcoinPort}`, postgres: { port: 1 }, members: down.map((apiUrl, memberIndex) => ({ memberIndex, apiUrl })) });
      const result = await runCliInProcess(['status'], { cwd: tmpdir(), env: { STRONGBOX_HOME: home } });
      expect([result.code, result.stderr]).to.deep.equal([
        1,
        `strongbox: member at ${down[2]} is unreachable (connection refused), as were the 2 members asked before it: is the local network in ${home} running? (\`strongbox up\` starts it)\n`,
      ]);
      // A command that asks every member at once says it once too.
      const claim = await runCliInProcess(['pegin', 'claim', `${'ab'.repeat(32)}:0`, '--to', 'sbx1qz5svgaerc64cr5dl3qm53a8gleptnyhn40q0zlqlnulfyk9kt0m20kutn8'], { cwd: tmpdir(), env: { STRONGBOX_HOME: home } });
      expect([claim.code, claim.stderr]).to.deep.equal([1, `strongbox: member at ${down[0]} is unreachable (connection refused): is the local network in ${home} running? (\`strongbox up\` starts it)\n`]);
      // The network's Bitcoin node runs inside `strongbox up`, and stops with it.
      const mine = await runCliInProcess(['regtest', 'mine', '1'], { cwd: tmpdir(), env: { STRONGBOX_HOME: home } });
      expect([mine.code, mine.stderr]).to.deep.equal([1, `strongbox: Bitcoin node at http://127.0.0.1:${bitcoinPort} is unreachable (connection refused): is the local network in ${home} running? (\`strongbox up\` starts it)\n`]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the local network’s members, when one is down', () => {
  let member: Server;
  let memberUrl: string;

  before(async () => {
    member = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"height":7}'));
    await new Promise<void>((resolve) => member.listen(0, '127.0.0.1', resolve));
    memberUrl = `http://127.0.0.1:${(member.address() as { port: number }).port}`;
  });
  after(() => new Promise((resolve) => member.close(resolve)));

  it('asks the next members when some refuse the connection, says once which were passed over and which answered, and stays with it', async () => {
    const down = await refusedUrls(2);
    const failovers: unknown[] = [];
    const client = new MemberClient([...down, memberUrl], { onFailover: (passedOver, answering) => failovers.push([passedOver, answering]) });
    expect(await client.status()).to.deep.equal({ height: 7 });
    expect(await client.status()).to.deep.equal({ height: 7 });
    expect([client.baseUrl, failovers]).to.deep.equal([memberUrl, [[down, memberUrl]]]);
  });

  /** A server that takes connections and never answers, as a hung member does; closed after `work`. */
  const withHungMember = async (work: (hungUrl: string) => Promise<void>) => {
    const hung = await hungMember('hung');
    try {
      await work(hung.url);
    } finally {
      await hung.close();
    }
  };

  it('asks the next member when one takes the connection but leaves a read unanswered, as a hung member does', async function () {
    this.timeout(30_000);
    await withHungMember(async (hungUrl) => {
      const failovers: unknown[] = [];
      // The passing over, not how long a read waits, is what is checked: 2 s, not the default 10 s.
      const client = new MemberClient([hungUrl, memberUrl], { onFailover: (passedOver, answering) => failovers.push([passedOver, answering]), requestTimeoutMs: 2_000 });
      expect(await client.status()).to.deep.equal({ height: 7 });
      expect([client.baseUrl, failovers]).to.deep.equal([memberUrl, [[[hungUrl], memberUrl]]]);
    });
  });

  it('gives a member as long to answer as STRONGBOX_REQUEST_TIMEOUT_MS says, and names that time when it does not', async function () {
    this.timeout(30_000);
    await withHungMember(async (hungUrl) => {
      const result = await runCliInProcess(['status', '--member', hungUrl], { cwd: tmpdir(), env: { STRONGBOX_REQUEST_TIMEOUT_MS: '1500' } });
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: member at ${hungUrl} is unreachable (no answer within 1.5 s)\n` });
    });
  });

  const badTimeouts = ['0', '600001', '1.5', '10s', '-1', ' 100'];
  for (const value of badTimeouts) {
    it(`refuses STRONGBOX_REQUEST_TIMEOUT_MS=${JSON.stringify(value)} with one line naming it`, async () => {
      const result = await runCliInProcess(['status', '--member', memberUrl], { cwd: tmpdir(), env: { STRONGBOX_REQUEST_TIMEOUT_MS: value } });
      expect(result).to.deep.equal({ code: 1, stdout: '', stderr: `strongbox: STRONGBOX_REQUEST_TIMEOUT_MS: expected whole milliseconds 1..600000, got ${JSON.stringify(value)}\n` });
    });
  }

  it('names the last member and how many were asked before it when none answers', async () => {
    const down = await refusedUrls(3);
    const error = await new MemberClient(down).status().then(() => null, (e: Error) => e.message);
    expect(error).to.equal(`member at ${down[2]} is unreachable (connection refused), as were the 2 members asked before it`);
  });

  it('says of a member that drops a write mid-way only that it is unreachable, not what to do when none answers: the others were not asked', async () => {
    const cutting = createServer((request) => request.socket.destroy());
    await new Promise<void>((resolve) => cutting.listen(0, '127.0.0.1', resolve));
    const cuttingUrl = `http://127.0.0.1:${(cutting.address() as { port: number }).port}`;
    try {
      const client = new MemberClient([cuttingUrl, memberUrl], { noneAnswered: 'start them first' });
      const error = await client.registerDepositAddress('sbx1qz5svgaerc64cr5dl3qm53a8gleptnyhn40q0zlqlnulfyk9kt0m20kutn8').then(() => null, (e: Error) => e.message);
      expect(error).to.match(new RegExp(`^member at ${cuttingUrl} is unreachable \\([^)]+\\)$`));
    } finally {
      await new Promise((resolve) => cutting.close(resolve));
    }
  });

  it('says nothing of passing members over when none answers, only the error, with what to do', async () => {
    const down = await refusedUrls(2);
    const failovers: unknown[] = [];
    const client = new MemberClient(down, { onFailover: (passedOver, answering) => failovers.push([passedOver, answering]), noneAnswered: 'start them first' });
    const error = await client.status().then(() => null, (e: Error) => e.message);
    expect([error, failovers]).to.deep.equal([`member at ${down[1]} is unreachable (connection refused), as was the member asked before it: start them first`, []]);
  });
});
