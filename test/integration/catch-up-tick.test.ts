import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import { createApiApp } from '../../federation/api/app.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';
import type { Chain } from '../../federation/member/chain.ts';
import { catchUp, catchUpWanted } from '../../federation/member/catch-up.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { hungMember, type HungMember } from '../helpers/hung-member.ts';
import type { SignedBlock } from '../helpers/signed-blocks.ts';

const silent = pino({ level: 'silent' });
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * The periodic catch-up of a running member (start-member.ts) asks its peers their tips, and for
 * blocks only once one of them announces more than this member holds: an idle federation's
 * members ask each other nothing else. A catch-up for a height known to be missing asks as before.
 */
describe('the periodic catch-up asks for blocks only from a peer ahead (real Postgres, real member APIs)', function () {
  this.timeout(120_000);
  const { chain: signed } = paymentChain(6);
  const { genesis } = signed.federation;
  const fixtures: ChainFixture[] = [];
  const servers: Server[] = [];
  const hung: HungMember[] = [];

  async function member(of: Genesis = genesis, blocks: readonly SignedBlock[] = []): Promise<{ chain: Chain; fixture: ChainFixture }> {
    const fixture = await chainFixture('catchuptick');
    fixtures.push(fixture);
    const chain = await fixture.open(of);
    for (const block of blocks) await chain.applyFinalBlock(block.block, block.commit);
    return { chain, fixture };
  }

  /** A peer's real API over its own store holding `blocks`, and the paths of the requests it served. */
  async function peer(memberIndex: number, blocks: readonly SignedBlock[], of: Genesis = genesis): Promise<{ memberIndex: number; apiUrl: string; requests: string[] }> {
    const { chain, fixture } = await member(of, blocks);
    const context = { memberIndex, chain, store: fixture.store, status: () => ({ height: chain.tip.height, chainId: hex(of.chainId) }) } as Partial<MemberApiContext> as MemberApiContext;
    const server = await listenApi(createApiApp(memberRoutes(context)), 0, '127.0.0.1');
    servers.push(server);
    const requests: string[] = [];
    server.on('request', (request: { method: string; url: string }) => requests.push(`${request.method} ${request.url.split('?')[0]}`));
    return { memberIndex, apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  }

  afterEach(async () => {
    for (const server of servers.splice(0)) await closeApi(server);
    for (const { close } of hung.splice(0)) await close();
    for (const fixture of fixtures.splice(0)) await fixture.drop();
  });

  it('asks peers at its own height their tips and no blocks, where a catch-up for a missing height asks them for blocks', async () => {
    const { chain } = await member(genesis, signed.blocks);
    const peers = [await peer(1, signed.blocks), await peer(2, signed.blocks.slice(0, 4))];
    expect(await catchUpWanted(chain, peers)).to.equal(false);
    for (const { memberIndex, requests } of peers) expect(requests, `peer ${memberIndex}`).to.deep.equal(['GET /status']);
    // What the tick ran before, and what a member that heard of a decided height still runs.
    expect(await catchUp(chain, peers, silent)).to.equal(0);
    expect(peers.flatMap(({ requests }) => requests).filter((request) => request === 'GET /chain/blocks')).to.have.length.greaterThan(0);
  });

  it('answers at the first peer ahead while a silent one is still asked, and the catch-up that follows applies its blocks', async () => {
    const { chain } = await member(genesis, signed.blocks.slice(0, 2));
    const events: string[] = [];
    hung.push(await hungMember('hung', events));
    const atHeight = await peer(1, signed.blocks.slice(0, 2));
    const ahead = await peer(2, signed.blocks);
    const peers = [{ memberIndex: 3, apiUrl: hung[0]!.url }, atHeight, ahead];
    expect(await catchUpWanted(chain, peers)).to.equal(true);
    events.push('answered');
    await hung[0]!.givenUp;
    expect(events, 'answered while the silent peer was still asked').to.deep.equal(['hung asked', 'answered', 'hung given up']);
    expect(ahead.requests).to.deep.equal(['GET /status']);
    expect(await catchUp(chain, peers, silent)).to.equal(signed.blocks.length - 2);
    expect(chain.tip.hash).to.deep.equal(signed.blocks.at(-1)!.hash);
  });

  it('wants a catch-up from a peer serving another chain, for the catch-up to warn of it', async () => {
    const { chain } = await member(genesis, signed.blocks);
    const other = paymentChain(1).chain;
    const peers = [await peer(1, other.blocks, other.federation.genesis)];
    expect(await catchUpWanted(chain, peers)).to.equal(true);
  });
});
