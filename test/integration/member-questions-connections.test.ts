import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApiApp } from '../../federation/api/app.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { memberRoutes, type MemberApiContext } from '../../federation/api/member-routes.ts';
import { closeApi, listenApi } from '../../federation/api/serve.ts';
import { askEachPeer } from '../../federation/member/ask-peers.ts';
import { waitForMembers } from '../../federation/local-network/member-readiness.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { paymentChain } from '../helpers/payment-chain.ts';

/**
 * A process asks a member's API from several places: a starting member asks its peers whether its
 * key is in use and what they heard from it, `strongbox up` asks each member whether it is up, and
 * the member client serves the catch-up, the wallet and the other commands. All of them must ride
 * one pool's connections: a second client stack would keep connections of its own to every
 * member, and cost a member process its code and memory besides.
 */
describe("every question a process asks a member, over one pool of kept-alive connections (real Postgres)", function () {
  this.timeout(120_000);
  const { chain: signed } = paymentChain(1);
  let fixture: ChainFixture;
  let server: Server;
  let url: string;
  let connections = 0;

  before(async () => {
    fixture = await chainFixture('questionsconn');
    const chain = await fixture.open(signed.federation.genesis);
    const context = { memberIndex: 1, chain, store: fixture.store, status: () => ({ height: 7, peersConnected: [0] }) } as Partial<MemberApiContext> as MemberApiContext;
    server = await listenApi(createApiApp(memberRoutes(context)), 0, '127.0.0.1');
    server.on('connection', () => (connections += 1));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await closeApi(server);
    await fixture?.drop();
  });

  it("asks a peer at a member's start, waits for the member as `strongbox up` does and asks it as the member client, over the connection the first question opened", async () => {
    const peer = { memberIndex: 1, url: 'ws://127.0.0.1:1', apiUrl: url };
    for (let round = 1; round <= 5; round++) {
      expect(await askEachPeer([peer], '/status', (body) => (body as { height: number }).height), `a peer's height, round ${round}`).to.deep.equal([{ peer, answer: 7 }]);
      // Two members, each linked to the other: this one has its one peer.
      await waitForMembers([url, url], [], [], (line) => expect.fail(line));
      expect(await new MemberClient(url).status(), `the member client, round ${round}`).to.deep.equal({ height: 7, peersConnected: [0] });
    }
    expect(connections).to.equal(1);
  });
});
