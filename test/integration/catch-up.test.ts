import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pino from 'pino';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { createApiApp } from '../../federation/api/app.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { memberBlockSource, memoryBlockSource } from '../../federation/audit/block-source.ts';
import type { Chain } from '../../federation/member/chain.ts';
import { applyServedBlocks, catchUp } from '../../federation/member/catch-up.ts';
import { logPoolErrors } from '../../federation/postgres/pool-errors.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { hungMember } from '../helpers/hung-member.ts';
import { withDatabaseDown } from '../helpers/database-outage.ts';
import { sharedPostgres } from '../helpers/postgres.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { quorum, rewriteHistory, type SignedBlock } from '../helpers/signed-blocks.ts';
import { serveHistory } from '../helpers/served-history.ts';
import { transfer } from '../helpers/transactions.ts';

const silent = pino({ level: 'silent' });

/**
 * A member that missed blocks fetches them from its peers ahead of the one it applies and
 * verifies their signatures meanwhile; none of that may change what it applies. Every block here
 * spends the output the block before created, so the signatures checked ahead depend on blocks
 * not yet applied.
 */
describe('catching up on final blocks from peers (real Postgres)', function () {
  this.timeout(120_000);
  // Many times the blocks fetched ahead, the forged block well past the first of them.
  const LENGTH = 48;
  const FORGED = 30;
  const { chain: signed, alice, bob, asset } = paymentChain(LENGTH);
  const { genesis } = signed.federation;
  const blocks = signed.blocks;
  const aliceChange = (height: number) => {
    const pay = blocks[height - 1]!.transactions[0] as Transaction & TransferBody;
    return { txid: txId(pay), index: 1, amount: pay.outputs[1]!.amount };
  };
  /** Bob spends the change alice got at FORGED - 1: a valid signature by the wrong key, certified by a quorum. */
  const forged = rewriteHistory(blocks, FORGED, () => [transfer(genesis.chainId, bob, aliceChange(FORGED - 1), asset, bob.owner, 1n)], quorum(signed.federation));

  const fixtures: ChainFixture[] = [];
  const servers: Server[] = [];
  /** A hostile member: serves `served`, forged blocks a real member would never store. */
  async function lyingPeer(served: readonly SignedBlock[]): Promise<string> {
    const { url, close } = await serveHistory(served);
    closing.push(close);
    return url;
  }
  const closing: (() => Promise<void>)[] = [];
  async function member(): Promise<{ chain: Chain; store: ChainStore }> {
    const fixture = await chainFixture('catchup');
    fixtures.push(fixture);
    return { chain: await fixture.open(genesis), store: fixture.store };
  }
  /**
   * A member's real API over its own store, holding `served`; `holdUntil` may hold a request back
   * until a promise it returns settles, to set the order in which peers answer.
   */
  async function peerServing(served: readonly SignedBlock[], api: { rateLimitPerMinute?: number; holdUntil?: (request: IncomingMessage, response: ServerResponse) => Promise<void> | undefined } = {}): Promise<string> {
    const { chain, store } = await member();
    for (const block of served) await chain.applyFinalBlock(block.block, block.commit);
    const context = { memberIndex: 1, chain, store, status: () => ({ height: chain.tip.height }) } as Partial<MemberApiContext> as MemberApiContext;
    const app = createApiApp(memberRoutes(context), api);
    const server = createServer((request, response) => void Promise.resolve(api.holdUntil?.(request, response)).then(() => app(request, response))).listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    for (const close of closing.splice(0)) await close();
    for (const fixture of fixtures.splice(0)) await fixture.drop();
  });

  it('applies every block a source serves and ends on the same tip and balances', async () => {
    const { chain, store } = await member();
    expect(await applyServedBlocks(chain, memoryBlockSource(blocks))).to.deep.equal({ applied: LENGTH });
    expect(chain.tip.hash).to.deep.equal(blocks.at(-1)!.hash);
    expect((await store.balances(bob.owner)).map(({ amount }) => amount)).to.deep.equal([BigInt(LENGTH - 1)]);
    expect(await applyServedBlocks(chain, memoryBlockSource(blocks)), 'nothing left to apply').to.deep.equal({ applied: 0 });
  });

  it('stops at a forged block with its reason, applying nothing fetched ahead beyond it', async () => {
    const { chain } = await member();
    const run = await applyServedBlocks(chain, memoryBlockSource(forged));
    expect(run).to.include({ applied: FORGED - 1 }).and.to.have.nested.include({ 'stop.reason': 'refused-block', 'stop.height': FORGED });
    expect((run.stop!.error as Error).message).to.match(/signature does not verify/);
    expect(chain.tip.height).to.equal(FORGED - 1);
    expect(chain.tip.hash).to.deep.equal(blocks[FORGED - 2]!.hash);
  });

  it('takes nothing from a source that names another chain, and says which', async () => {
    const { chain } = await member();
    const other = 'ee'.repeat(32);
    const source = { ...memoryBlockSource(blocks, 'a peer of another chain'), tip: async () => ({ height: LENGTH, chainId: other }) };
    const run = await applyServedBlocks(chain, source);
    expect(run).to.include({ applied: 0 }).and.to.have.nested.include({ 'stop.reason': 'other-chain', 'stop.height': 1 });
    expect((run.stop!.error as Error).message).to.equal(`a peer of another chain serves chain ${other}, not chain ${Buffer.from(chain.genesis.chainId).toString('hex')}`);
    expect(chain.tip.height).to.equal(0);
  });

  it('skips a height another path appended meanwhile, as consensus does while a catch-up runs', async () => {
    const { chain } = await member();
    const consensus = (async () => {
      for (const block of blocks) await chain.applyFinalBlock(block.block, block.commit).catch(() => undefined);
    })();
    const run = await applyServedBlocks(chain, memoryBlockSource(blocks));
    await consensus;
    expect(run.stop).to.equal(undefined);
    expect(chain.tip.hash).to.deep.equal(blocks.at(-1)!.hash);
  });

  it('refuses a final block offered again, or proposed, once the other path stored it as already final at its height, not as a forged signature or a block off the tip', async () => {
    const { chain } = await member();
    for (const block of blocks.slice(0, 3)) await chain.applyFinalBlock(block.block, block.commit);
    const hash = Buffer.from(blocks[1]!.hash).toString('hex');
    const again = await chain.applyFinalBlock(blocks[1]!.block, blocks[1]!.commit).then(
      () => null,
      (error: unknown) => error,
    );
    expect(again).to.include({ code: 'already-final', message: `block 2 (${hash}) is already final here, below the next height 4: consensus and catch-up both append final blocks, and the other stored it first` });
    expect(chain.tip.height).to.equal(3);
    // The same block proposed at its height once stored is refused for that reason, not as a block that does not follow the tip.
    expect(() => chain.checkBlock(2, blocks[1]!.hash, chain.decodeBlock(blocks[1]!.block))).to.throw(`block 2 is already final here (the chain's tip is 3): catch-up stored it while the proposal was being decided`);
    // A certificate that fails for any other block still names the signature.
    const refused = await chain.applyFinalBlock(forged[FORGED - 1]!.block, forged[FORGED - 1]!.commit).then(
      () => null,
      (error: unknown) => error,
    );
    expect((refused as Error).message).to.match(/^block 4 is not final: invalid signature of member \d$/);
  });

  it('serves a range of final blocks over the API: consecutive, bounded, empty past the tip, malformed ranges refused', async () => {
    const url = await peerServing(blocks);
    const range = async (query: string) => {
      const response = await fetch(`${url}/chain/blocks?${query}`);
      return { status: response.status, body: (await response.json()) as { blocks: { height: number; block: string; commit: string }[]; error?: { code: string } } };
    };
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    const { status, body } = await range('from=5&limit=3');
    expect(status).to.equal(200);
    expect(body.blocks).to.deep.equal([5, 6, 7].map((height) => ({ height, block: hex(blocks[height - 1]!.block), commit: hex(blocks[height - 1]!.commit) })));
    expect((await range('from=40')).body.blocks.map(({ height }) => height)).to.deep.equal(Array.from({ length: LENGTH - 39 }, (_, index) => 40 + index));
    expect((await range(`from=${LENGTH + 1}`)).body).to.deep.equal({ blocks: [] });
    for (const query of ['from=0', 'from=abc', 'from=1&limit=0', 'from=1&limit=101', '']) {
      const refused = await range(query);
      expect(refused.status, query).to.equal(400);
      expect(refused.body.error?.code, query).to.equal('bad-request');
    }
  });

  it('over the members’ APIs: passes an unreachable peer and a lying one, and takes the chain from an honest one within its rate limit', async () => {
    const { chain, store } = await member();
    const liar = await lyingPeer(forged);
    const lied = await applyServedBlocks(chain, memberBlockSource(new MemberClient(liar)));
    expect(lied).to.include({ applied: FORGED - 1 }).and.to.have.nested.include({ 'stop.reason': 'refused-block', 'stop.height': FORGED });
    // Five requests a minute: the status and the chain's 48 blocks in one range, then the empty one past the tip.
    const honest = await peerServing(blocks, { rateLimitPerMinute: 5 });
    const peers = [{ memberIndex: 2, apiUrl: 'http://127.0.0.1:9' }, { memberIndex: 3, apiUrl: liar }, { memberIndex: 4, apiUrl: honest }];
    expect(await catchUp(chain, peers, silent)).to.equal(LENGTH - (FORGED - 1));
    expect(chain.tip.hash).to.deep.equal(blocks.at(-1)!.hash);
    expect((await store.balances(bob.owner)).map(({ amount }) => amount)).to.deep.equal([BigInt(LENGTH - 1)]);
  });

  it('warns of a peer serving a forged block with the refusal in words and no stack: a refusal is no bug', async () => {
    const { chain } = await member();
    const { lines, log } = capturedLog();
    await catchUp(chain, [{ memberIndex: 3, apiUrl: await lyingPeer(forged) }], log);
    const warnings = lines.filter((line) => String(line.msg).startsWith('catch-up: '));
    expect(warnings.map((line) => line.msg)).to.deep.equal(['catch-up: refused a block from a peer']);
    expect(warnings[0], JSON.stringify(warnings[0])).to.include({ peer: 3, height: FORGED }).and.not.have.property('err');
    expect(warnings[0]!.reason).to.be.a('string').and.not.equal('');
  });

  /** Two members that take the connection and never answer, closed after the test. */
  async function twoHungMembers(events: string[]) {
    const hung = [await hungMember('hung 2', events), await hungMember('hung 3', events)];
    for (const member of hung) closing.push(member.close);
    return hung;
  }

  it('asks every peer its tip at once: two hung peers are waited on together, and the catch-up ends from a live one without waiting them out', async () => {
    const { chain } = await member();
    const events: string[] = [];
    const hung = await twoHungMembers(events);
    const live = await peerServing(blocks.slice(0, 4));
    const peers = [...hung.map(({ url }, index) => ({ memberIndex: 2 + index, apiUrl: url })), { memberIndex: 4, apiUrl: live }];
    expect(await catchUp(chain, peers, silent)).to.equal(4);
    events.push('catch-up ended');
    expect(chain.tip.hash).to.deep.equal(blocks[3]!.hash);
    await Promise.all(hung.map(({ givenUp }) => givenUp));
    // Asked one after the other, the second hung peer would be asked only once the first was given up.
    expect(events.slice(0, 2).sort(), 'both hung peers asked before either is given up').to.deep.equal(['hung 2 asked', 'hung 3 asked']);
    // Their requests end with the catch-up (a request timeout is 10 s), not after it.
    expect(events.slice(2, 3), 'the live peer served its blocks while the hung ones were still asked').to.deep.equal(['catch-up ended']);
  });

  it('goes on from a peer ahead that answered its tip while the first to answer, a peer behind, served its blocks, and ends on the highest chain', async () => {
    const { chain } = await member();
    let behindServing!: () => void;
    const behindServed = new Promise<void>((resolve) => (behindServing = resolve));
    let aheadAnswering!: () => void;
    const aheadAnswered = new Promise<void>((resolve) => (aheadAnswering = resolve));
    // The peer ahead answers its tip only once the one behind is asked for blocks, and the one behind
    // says it has no more only once the answer ahead has been sent: the peer ahead answered meanwhile.
    const behind = await peerServing(blocks.slice(0, 4), {
      holdUntil: (request) => {
        if (request.url?.startsWith('/chain/blocks?from=1')) behindServing();
        return request.url?.startsWith('/chain/blocks?from=5') ? aheadAnswered : undefined;
      },
    });
    const ahead = await peerServing(blocks.slice(0, 9), {
      holdUntil: (request, response) => {
        if (request.url !== '/status') return undefined;
        response.once('finish', aheadAnswering);
        return behindServed;
      },
    });
    expect(await catchUp(chain, [{ memberIndex: 2, apiUrl: behind }, { memberIndex: 3, apiUrl: ahead }], silent)).to.equal(9);
    expect(chain.tip.hash).to.deep.equal(blocks[8]!.hash);
  });

  it('ends at a stop asked while every peer is still silent, their requests aborted', async () => {
    const { chain } = await member();
    const events: string[] = [];
    const hung = await twoHungMembers(events);
    const stop = new AbortController();
    const run = catchUp(chain, hung.map(({ url }, index) => ({ memberIndex: 2 + index, apiUrl: url })), silent, stop.signal);
    await Promise.all(hung.map(({ asked }) => asked));
    events.push('stop asked');
    stop.abort();
    expect(await run).to.equal(0);
    events.push('catch-up ended');
    await Promise.all(hung.map(({ givenUp }) => givenUp));
    expect(events.slice(2, 3), 'both requests aborted at the stop, not timed out').to.deep.equal(['stop asked']);
    expect(events.slice(3).sort()).to.deep.equal(['catch-up ended', 'hung 2 given up', 'hung 3 given up']);
  });

  it("passes over a peer whose own database is out of reach (503) as over an unreachable one, without a warning: that peer's log says why", async () => {
    const { chain } = await member();
    const peer = await peerServing(blocks.slice(0, 3));
    const peerDatabase = fixtures.at(-1)!.db;
    // As the peer member does: the outage ends its idle connections.
    logPoolErrors(peerDatabase.pool, silent);
    const { lines, log } = capturedLog();
    const applied = await withDatabaseDown(await sharedPostgres(), peerDatabase.name, async () => {
      const run = await applyServedBlocks(chain, memberBlockSource(new MemberClient(peer)));
      expect(run).to.have.nested.include({ 'stop.reason': 'peer-unreachable', 'stop.height': 1, 'stop.error.status': 503 });
      return catchUp(chain, [{ memberIndex: 1, apiUrl: peer }], log);
    });
    expect(applied).to.equal(0);
    expect(lines, 'what the member logs at info level').to.deep.equal([]);
    expect(await catchUp(chain, [{ memberIndex: 1, apiUrl: peer }], log), 'once its database is back').to.equal(3);
  });

  it("stops at this member's own database out of reach, said as such once and not as a peer's refused block, and goes on once it is back", async () => {
    const { chain } = await member();
    const peers = [{ memberIndex: 1, apiUrl: await peerServing(blocks.slice(0, 3)) }, { memberIndex: 2, apiUrl: await peerServing(blocks.slice(0, 3)) }];
    const ownDatabase = fixtures[0]!.db;
    // As the member does: the outage ends its idle connections.
    logPoolErrors(ownDatabase.pool, silent);
    const { lines, log } = capturedLog();
    const applied = await withDatabaseDown(await sharedPostgres(), ownDatabase.name, async () => [await catchUp(chain, peers, log), await catchUp(chain, peers, log)]);
    expect(applied).to.deep.equal([0, 0]);
    // Once for both runs, with Postgres's reason and no stack; no other peer was asked for blocks.
    expect(lines.map((line) => line.msg)).to.deep.equal(['catch-up stopped: it goes on once the database is back']);
    expect(lines[0]).to.not.have.property('err');
    expect(lines[0]!.reason).to.match(/^the member's database is out of reach: database ".*" is not currently accepting connections$/);
    expect(await catchUp(chain, peers, log), 'once its database is back').to.equal(3);
  });
});
