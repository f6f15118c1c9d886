import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { PeerLinkFailures } from '../../federation/member/peer-link-failures.ts';
import type { PeerTransport } from '../../federation/transport/index.ts';
import type { TransportEvent } from '../../federation/transport/stats.ts';
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

describe('a member dialling a peer that takes connections and answers nothing (paused with SIGSTOP, hung)', function () {
  it('says that the handshake did not complete in time, in its own words, at every dial', async function () {
    // The kernel still accepts a paused process's connections; nothing answers on them.
    const held = new Set<Socket>();
    const paused = createServer((socket) => held.add(socket.on('error', () => undefined)));
    paused.listen(0, '127.0.0.1');
    await once(paused, 'listening');
    const url = `ws://127.0.0.1:${(paused.address() as { port: number }).port}`;
    const failures = new PeerLinkFailures([{ memberIndex: 1, url }], Date.now());
    const events: TransportEvent[] = [];
    const dialer = await startMember(makeFederation(2), 0, [undefined, url], {
      handshakeTimeoutMs: 200,
      reconnectMinMs: 50,
      reconnectMaxMs: 50,
      onEvent: (event) => {
        events.push(event);
        failures.observe(event, Date.now());
      },
    });
    try {
      await waitFor(() => dialer.stats().dropped['handshake-timeout'] >= 3, 'three dials given up', 10_000);
      expect(failures.down([]).map(({ code, reason }) => ({ code, reason }))).to.deep.equal([
        { code: 'handshake-timeout', reason: 'the handshake did not complete in time (the member is hung, paused or overloaded, or no Strongbox member listens at that address)' },
      ]);
      expect(events.filter((event) => event.type === 'socket-error'), 'socket errors besides the handshakes given up').to.deep.equal([]);
    } finally {
      await dialer.close();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => paused.close(resolve));
    }
  });
});
