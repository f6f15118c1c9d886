import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, REFUSED_START_WAITS, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

/**
 * OPERATOR.md's restore rule, kept by the member rather than by the operator's care: a database
 * restored from a backup older than the member's last votes, or an empty one, does not remember
 * what the member signed at the height still being decided. The member takes it back from the
 * other members once n − k + 1 of them answer (2 of 5), and votes on from there; with fewer, it waits. The
 * tests run in order on one network, each from the members the one before left running.
 */
describe('a member started on a database that has forgotten its last votes', function () {
  this.timeout(360_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork(5);
  });
  after(() => net?.stop());

  const heardFrom = async (at: number, member: number) => (await (await fetch(`${net.clients[at]!.baseUrl}/consensus/heard/${member}`)).json()) as { height: number; messages: string[] };
  const evidence = async (at: number) => ((await (await fetch(`${net.clients[at]!.baseUrl}/evidence`)).json()) as { evidence: unknown[] }).evidence;
  const stop = async (index: number) => {
    net.network.members[index]!.process.kill('SIGTERM');
    await net.network.members[index]!.exited;
  };

  const start = (index: number, databaseUrl?: string) => net.network.restartMember(index, databaseUrl ? { DATABASE_URL: databaseUrl } : undefined);
  const configOf = (index: number) => join(memberDir(net.network.dataDir, index), 'config.json');
  const submitIssuance = (at: number, amount: bigint) => net.clients[at]!.submit(issuance(net.genesis.chainId, testWallet(), amount).tx);
  const signersAt = async (height: number) => ((await (await fetch(`${net.clients[0]!.baseUrl}/blocks/${height}`)).json()) as { commit: { signers: number[] } }).commit.signers;
  const noEvidenceAt = async (members: number[]) => expect(await Promise.all(members.map(evidence))).to.deep.equal(members.map(() => []));

  /**
   * With members 3 and 4 stopped (three of five cannot finalize at k = 4), opens a height holding `member`'s votes at
   * members 0 and 1, and its proposal if `proposal`; returns it and the pending transaction.
   */
  const openHeightSignedBy = async (member: number, options: { txid?: string; proposal?: boolean } = {}) => {
    const open = (await net.clients[0]!.status()).height + 1;
    const pending = options.txid ?? (await submitIssuance(0, 6n));
    // A proposal's encoding starts with tag 1, a vote's with 2.
    const holds = (messages: string[]) => (options.proposal ? messages.some((message) => message.startsWith('01')) : messages.length > 0);
    await eventually(`members 0 and 1 holding what member ${member} signed at the open height`, async () => {
      const heard = await Promise.all([heardFrom(0, member), heardFrom(1, member)]);
      return heard.every((answer) => answer.height === open && holds(answer.messages));
    }, 60_000);
    return { open, txid: pending };
  };

  /** What a member's log says about `height`. */
  const saidAt = (index: number, height: number) => {
    const lines = readFileSync(join(memberDir(net.network.dataDir, index), 'member.log'), 'utf8').split('\n').filter((line) => line.startsWith('{'));
    return lines.map((line) => JSON.parse(line) as { msg?: string; height?: number }).filter((entry) => entry.height === height);
  };

  /** What a member's log says its start did about the votes it had forgotten at `height`. */
  const startAt = (index: number, height: number) => {
    const said = saidAt(index, height);
    return {
      tookBack: said.some((entry) => entry.msg?.startsWith('took back from the other members what this member signed')),
      waited: said.some((entry) => entry.msg?.startsWith("this member's database lacks what it signed")),
    };
  };

  /**
   * Brings `back` up beside members 0, 1 and 3, then opens a height holding member 2's votes and stops member 2; members
   * 0 and 1 run on. With `proposal`, member 2 proposes that height's round 0 (the proposer of height h, round r is
   * member (h + r) mod 5), and its proposal is among what they hold.
   */
  const openHeightMember2Left = async (back: number[], options: { proposal?: boolean } = {}) => {
    for (const index of back) start(index);
    await net.clients[0]!.waitForFinal(await submitIssuance(0, 5n), { timeoutMs: 60_000 });
    while (options.proposal && ((await net.clients[0]!.status()).height + 1) % 5 !== 2) await net.clients[0]!.waitForFinal(await submitIssuance(0, 5n), { timeoutMs: 60_000 });
    await stop(3);
    await stop(4);
    const opened = await openHeightSignedBy(2, options);
    await stop(2);
    return opened;
  };

  /**
   * The open height holding `txid` closed with the signatures of members 0 to 3, each member in
   * `restored` having taken back what it signed there without waiting, and no member holding
   * evidence of a member signing twice.
   */
  const expectOpenHeightClosedOnce = async (open: number, txid: string, restored: number[], timeoutMs: number) => {
    expect((await net.clients[0]!.waitForFinal(txid, { timeoutMs })).height).to.be.at.least(open);
    expect(await signersAt(open)).to.deep.equal([0, 1, 2, 3]);
    expect(restored.map((index) => startAt(index, open))).to.deep.equal(restored.map(() => ({ tookBack: true, waited: false })));
    await noEvidenceAt([0, 1, 2, 3]);
  };

  /** Stops member 4, so that a block is final only with the signatures of all of members 0 to 3, and has one made. */
  const expectNextBlockSignedBy0To3 = async () => {
    await stop(4);
    const final = await net.clients[0]!.waitForFinal(await submitIssuance(2, 7n), { timeoutMs: 30_000 });
    expect(await signersAt(final.height!)).to.deep.equal([0, 1, 2, 3]);
    await noEvidenceAt([0, 1, 2, 3]);
  };

  /**
   * Points a stopped member's peers' apiUrl at proxies that pass every request on but those for
   * final blocks, which they cut off until `release()`: the member's catch-up then falls short,
   * as when a peer's block requests time out under load. `restore()` puts its config back.
   */
  const blocksHeldBackFrom = async (index: number) => {
    const original = readFileSync(configOf(index), 'utf8');
    const config = JSON.parse(original) as { peers: { apiUrl: string }[] };
    let held = true;
    const proxies: Server[] = [];
    for (const peer of config.peers) {
      const target = peer.apiUrl;
      const proxy = createServer((request, response) => {
        if (held && request.url?.startsWith('/chain/blocks')) return request.socket.destroy();
        fetch(`${target}${request.url}`).then(
          async (answer) => response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer())),
          () => request.socket.destroy(),
        );
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxies.push(proxy);
      peer.apiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    }
    writeFileSync(configOf(index), JSON.stringify(config, null, 2));
    return {
      release: () => (held = false),
      restore: () => {
        writeFileSync(configOf(index), original);
        for (const proxy of proxies) proxy.close();
      },
    };
  };

  /** A copy of a stopped member's database, as a backup made now. */
  const backupOf = async (index: number) => {
    const server = net.network.postgres;
    const name = `member_${index}_backup`;
    const admin = new pg.Client({ connectionString: server.connectionString('postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "member_${index}"`);
    } finally {
      await admin.end();
    }
    return { url: server.connectionString(name), drop: () => server.dropDatabase(name) };
  };

  it('stops naming the height while fewer than n − k + 1 others answer and none has finalized it, and once they have, catches up and signs again without signing twice', async () => {
    const { open, txid } = await openHeightMember2Left([]);
    // Member 1 holds member 2's votes too, but is away: member 0 alone answers, one of the two it takes.
    await stop(1);
    const empty = await freshDatabase('member_2_empty');
    try {
      const refused = await runCli(['member', 'start', '--config', configOf(2)], { env: { ...REFUSED_START_WAITS, DATABASE_URL: empty.url } });
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(
        new RegExp(
          `^strongbox: databaseUrl: the member's database does not hold what member 2 signed at height ${open} \\(round \\d+ (proposal|prevote|precommit)(, round \\d+ (proposal|prevote|precommit))*\\), which ${net.genesis.file.members[0]!.name} received: ` +
            `it was restored from a backup older than the member's last votes, or is empty, while height ${open} is not final; it is taken back from them once at least 2 of the other members answer at that height, and 1 did: signing there before could sign two blocks at one height\\. ` +
            `Start it once at least 2 of the other members run, once they are past height ${open} \\(height in their /status\\), or on a newer backup\\n$`,
        ),
      );
      await noEvidenceAt([0]);

      // With members 1, 3 and 4 back, four finalize the open height without member 2.
      start(1);
      start(3);
      start(4);
      expect((await net.clients[0]!.waitForFinal(txid, { timeoutMs: 60_000 })).height).to.be.at.least(open);
      start(2, empty.url);
      await eventually('member 2 at the tip, from an empty database', async () => (await net.clients[2]!.status()).height >= open, 60_000);
      // With member 4 away again, no block is final without member 2's signature.
      await expectNextBlockSignedBy0To3();
    } finally {
      await stop(2);
      await empty.drop();
    }
  });

  it('a member restored from a backup older than its last votes takes back what it signed at the open height, its proposal with its block too, and votes there at once, signing nothing twice', async () => {
    // Member 2 is stopped: its database now is the backup, older than the votes it signs next.
    const backup = await backupOf(2);
    try {
      const { open, txid } = await openHeightMember2Left([2, 4], { proposal: true });
      // Members 0, 1 and 3 answer, k − 1 of them; with member 4 away the open height cannot close without member 2.
      start(3);
      await eventually('member 3 running at the open height', async () => (await net.clients[3]!.status()).height === open - 1, 60_000);
      start(2, backup.url);
      await expectOpenHeightClosedOnce(open, txid, [2], 60_000);
    } finally {
      await stop(2);
      await backup.drop();
    }
  });

  it('two members restored at once take back what they signed and close the height that needs both of them, signing nothing twice', async () => {
    const { open, txid } = await openHeightMember2Left([2, 4]);
    // Member 3 signs at the open height too, with members 0 and 1: still three of five.
    start(3);
    await openHeightSignedBy(3, { txid });
    await stop(3);

    // With member 4 away the height needs both members 2 and 3, and each sees the other silent: members 0 and 1 answer, n − k + 1 of them.
    const empty = [await freshDatabase('member_2_empty'), await freshDatabase('member_3_empty')];
    try {
      start(2, empty[0]!.url);
      start(3, empty[1]!.url);
      await expectOpenHeightClosedOnce(open, txid, [2, 3], 90_000);
    } finally {
      await stop(2);
      await stop(3);
      await Promise.all(empty.map((database) => database.drop()));
    }
  });

  it('a member whose catch-up falls short of the open height waits behind it, and once it can catch up takes back what it signed there, not at the height after its tip, signing nothing twice', async () => {
    const { open, txid } = await openHeightMember2Left([2, 4]);
    start(3);
    await eventually('member 3 running at the open height', async () => (await net.clients[3]!.status()).height === open - 1, 60_000);
    // From an empty database and with no block served, member 2 asks about height 1 and its peers answer about the open height.
    const empty = await freshDatabase('member_2_behind');
    const blocks = await blocksHeldBackFrom(2);
    try {
      start(2, empty.url);
      await eventually('member 2 waiting behind the open height', async () => saidAt(2, open).some((entry) => entry.msg?.startsWith('this member is behind the height the other members are deciding')), 60_000);
      blocks.release();
      await expectOpenHeightClosedOnce(open, txid, [2], 60_000);
    } finally {
      await stop(2);
      blocks.restore();
      await empty.drop();
    }
  });
});
