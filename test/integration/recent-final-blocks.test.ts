import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiApp } from '../../federation/api/app.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';
import pino from 'pino';
import { logPoolErrors } from '../../federation/postgres/pool-errors.ts';
import type { Chain } from '../../federation/member/chain.ts';
import { applyServedBlocks } from '../../federation/member/catch-up.ts';
import { memoryBlockSource } from '../../federation/audit/block-source.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { sharedPostgres } from '../helpers/postgres.ts';
import { withDatabaseDown } from '../helpers/database-outage.ts';

const LENGTH = 40;

const servers: Server[] = [];

/** The status and body a member's real API answers to `GET /blocks/:height`, as they come over the wire. */
async function blockReader(chain: Chain, store: ChainStore): Promise<(height: number) => Promise<string>> {
  const context = { memberIndex: 0, chain, store, heightReached: async () => false } as Partial<MemberApiContext> as MemberApiContext;
  const server = await listenApi(createApiApp(memberRoutes(context)), 0, '127.0.0.1');
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (height) => {
    const response = await fetch(`${url}/blocks/${height}`);
    return `${response.status} ${await response.text()}`;
  };
}

describe('GET /blocks/:height of the newest final blocks (real Postgres)', function () {
  this.timeout(60_000);
  let fixture: ChainFixture;
  beforeEach(async () => {
    fixture = await chainFixture('recent');
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await closeApi(server);
    await fixture.drop();
  });

  it("answers the newest blocks as they are applied, byte for byte what the store gives after a restart, and while the member's database is down", async () => {
    const { chain: signed } = paymentChain(LENGTH);
    signed.append([]);
    const running = await fixture.open(signed.federation.genesis);
    await applyServedBlocks(running, memoryBlockSource(signed.blocks));
    const tip = running.tip.height;
    const fromRunning = await blockReader(running, fixture.store);
    const answered = new Map<number, string>();
    for (let height = 1; height <= tip + 1; height++) answered.set(height, await fromRunning(height));

    // Reopened, the chain holds no block in memory: every answer comes from the store.
    const fromStore = await blockReader(await fixture.open(signed.federation.genesis), fixture.store);
    for (let height = 1; height <= tip + 1; height++) expect(answered.get(height), `block ${height}`).to.equal(await fromStore(height));
    const body = (height: number) => JSON.parse(answered.get(height)!.slice('200 '.length)) as { height: number; txCount: number; transactions: string[] };
    expect(body(tip)).to.include({ height: tip, txCount: 0 });
    expect(body(tip - 1).transactions).to.have.length(1);
    expect(answered.get(tip + 1)).to.match(/^404 /);

    // The outage ends the pool's idle sessions, which a member hears and logs.
    logPoolErrors(fixture.db.pool, pino({ level: 'silent' }));
    const server = await sharedPostgres();
    await withDatabaseDown(server, fixture.db.name, async () => {
      expect(await fromRunning(tip)).to.equal(answered.get(tip));
      expect(await fromRunning(tip - 1)).to.equal(answered.get(tip - 1));
    });
  });
});
