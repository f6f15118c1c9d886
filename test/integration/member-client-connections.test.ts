import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiApp } from '../../federation/api/app.ts';
import { MemberApiError, MemberClient } from '../../federation/api/client.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';
import { askEachPeer } from '../../federation/member/ask-peers.ts';
import { waitForMembers } from '../../federation/local-network/member-readiness.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { paymentChain } from '../helpers/payment-chain.ts';

/**
 * A wallet command, the catch-up and a broker's client ask a member request after request: each
 * must ride the connection the first opened, or every request costs both sides a new TCP
 * connection and HTTP set-up besides the request itself. A process also asks a member from other
 * places: a starting member asks its peers whether its key is in use and what they heard from it,
 * and `strongbox up` asks each member whether it is up. They ride the same pool: a second client
 * stack would keep connections of its own to every member, and cost the process its code and
 * memory besides.
 */
describe("a member client's requests, and every other question a process asks a member, over one pool of kept-alive connections (real Postgres)", function () {
  this.timeout(120_000);
  const { chain: signed } = paymentChain(3);
  let fixture: ChainFixture;
  let server: Server;
  let url: string;
  let connections = 0;

  before(async () => {
    fixture = await chainFixture('clientconn');
    const chain = await fixture.open(signed.federation.genesis);
    for (const block of signed.blocks) await chain.applyFinalBlock(block.block, block.commit);
    const context = { memberIndex: 0, chain, store: fixture.store, status: () => ({ height: 7, peersConnected: [0] }) } as Partial<MemberApiContext> as MemberApiContext;
    server = await listenApi(createApiApp(memberRoutes(context)), 0, '127.0.0.1');
    server.on('connection', () => (connections += 1));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await closeApi(server);
    await fixture?.drop();
  });
  beforeEach(() => (connections = 0));

  it("asks one member question after question, answers and refusals, over the connection the first question opened, the member's API server seeing no new one", async () => {
    const client = new MemberClient(url);
    for (let question = 1; question <= 20; question++) {
      expect(await client.status(), `question ${question}`).to.deep.equal({ height: 7, peersConnected: [0] });
      expect((await client.finalBlock(1)).height, `block ${question}`).to.equal(1);
      const refusal = await client.finalBlock(-1).then(() => null, (error: unknown) => error);
      expect(refusal, `refusal ${question}`).to.be.instanceOf(MemberApiError).and.to.include({ status: 400 });
    }
    expect(connections).to.equal(1);
  });

  it('shares the connection between clients of one process, as a client made for each catch-up tick is', async () => {
    await new MemberClient(url).status();
    // None when the test before left its connection open, else the first client's.
    const openedByFirst = connections;
    expect(openedByFirst).to.be.at.most(1);
    for (let client = 2; client <= 10; client++) expect(await new MemberClient(url).status(), `client ${client}`).to.deep.equal({ height: 7, peersConnected: [0] });
    expect(connections).to.equal(openedByFirst);
  });

  it("asks a peer at a member's start, waits for the member as `strongbox up` does and asks it as the member client, over the connection the first question opened", async () => {
    await new MemberClient(url).status();
    // None when the test before left its connection open, else this client's.
    const openedByFirst = connections;
    expect(openedByFirst).to.be.at.most(1);
    const peer = { memberIndex: 0, url: 'ws://127.0.0.1:1', apiUrl: url };
    for (let round = 1; round <= 5; round++) {
      expect(await askEachPeer([peer], '/status', (body) => (body as { height: number }).height), `a peer's height, round ${round}`).to.deep.equal([{ peer, answer: 7 }]);
      // Two members, each linked to the other: this one has its one peer.
      await waitForMembers([url, url], [], [], (line) => expect.fail(line));
      expect(await new MemberClient(url).status(), `the member client, round ${round}`).to.deep.equal({ height: 7, peersConnected: [0] });
    }
    expect(connections).to.equal(openedByFirst);
  });
});
