import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { createApiApp } from '../../federation/api/app.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';
import type { Chain } from '../../federation/member/chain.ts';
import { catchUp } from '../../federation/member/catch-up.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';

const silent = pino({ level: 'silent' });
/** How often a running member catches up with its peers by default (`catchUpIntervalMs`, federation/config.ts). */
const CATCH_UP_TICK_MS = 5_000;

/**
 * An idle member still asks every peer its tip each tick: those questions must ride the
 * connections already open, or every tick costs each pair of members new TCP connections and
 * HTTP client set-ups on both sides.
 */
describe("catching up on peers' tips over kept-alive connections (real Postgres)", function () {
  this.timeout(120_000);
  const { chain: signed } = paymentChain(3);
  const { genesis } = signed.federation;
  const fixtures: ChainFixture[] = [];
  let server: Server | undefined;

  async function member(): Promise<{ chain: Chain; store: ChainStore }> {
    const fixture = await chainFixture('catchupconn');
    fixtures.push(fixture);
    return { chain: await fixture.open(genesis), store: fixture.store };
  }

  after(async () => {
    if (server) await closeApi(server);
    for (const fixture of fixtures.splice(0)) await fixture.drop();
  });

  it("asks a peer its tip tick after tick over the connections the first tick opened, the member's API server seeing no new one", async () => {
    const peer = await member();
    for (const block of signed.blocks) await peer.chain.applyFinalBlock(block.block, block.commit);
    const context = { memberIndex: 1, chain: peer.chain, store: peer.store, status: () => ({ height: peer.chain.tip.height }) } as Partial<MemberApiContext> as MemberApiContext;
    server = await listenApi(createApiApp(memberRoutes(context)), 0, '127.0.0.1');
    let connections = 0;
    server.on('connection', () => (connections += 1));
    const peers = [{ memberIndex: 1, apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }];

    const { chain } = await member();
    expect(await catchUp(chain, peers, silent), 'the first tick catches up').to.equal(signed.blocks.length);
    const openedByFirstTick = connections;
    expect(openedByFirstTick).to.be.greaterThan(0);
    for (let tick = 2; tick <= 4; tick++) {
      await sleep(CATCH_UP_TICK_MS);
      expect(await catchUp(chain, peers, silent), `tick ${tick}: nothing new`).to.equal(0);
      expect(connections, `connections opened by tick ${tick}`).to.equal(openedByFirstTick);
    }
  });
});
