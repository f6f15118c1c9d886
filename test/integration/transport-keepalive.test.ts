import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import type { PeerTransport } from '../../federation/transport/index.ts';
import { makeFederation, startMember, urlOf, waitFor } from './transport-harness.ts';

/**
 * A TCP relay that can go silent as a hung peer or a network dropping packets does: it stops
 * passing bytes and accepts no new connection, but closes nothing, so neither side sees a reset.
 */
async function startRelay(targetPort: number): Promise<{ url: string; goSilent(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((client) => {
    if (silent) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    goSilent() {
      silent = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('peer transport keepalive', function () {
  const federation = makeFederation(2);
  const keepalive = { keepaliveIntervalMs: 50, keepaliveMissedPings: 3 };
  let acceptor: PeerTransport;
  let dialer: PeerTransport;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let silentEvents: number[];

  beforeEach(async function () {
    silentEvents = [];
    acceptor = await startMember(federation, 1, [], { ...keepalive, onEvent: (event) => event.type === 'silent' && silentEvents.push(event.peer) });
    relay = await startRelay(Number(new URL(urlOf(acceptor)).port));
    dialer = await startMember(federation, 0, [undefined, relay.url], keepalive);
    await waitFor(() => dialer.connectedPeers().includes(1) && acceptor.connectedPeers().includes(0), 'the link through the relay');
  });

  afterEach(async function () {
    await dialer.close();
    await relay.close();
    await acceptor.close();
  });

  it('keeps an idle link that answers its pings open', async function () {
    // Twenty intervals without a frame either way: only pings and pongs cross.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(dialer.connectedPeers()).to.deep.equal([1]);
    expect(acceptor.connectedPeers()).to.deep.equal([0]);
    expect(silentEvents).to.deep.equal([]);
  });

  it('closes, on both sides, a link whose peer falls silent without closing it, and says so', async function () {
    relay.goSilent();
    await waitFor(() => dialer.connectedPeers().length === 0 && acceptor.connectedPeers().length === 0, 'both sides to drop the silent link', 2_000);
    expect(silentEvents).to.deep.equal([0]);
  });
});
