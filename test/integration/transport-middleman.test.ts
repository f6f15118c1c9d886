import { once } from 'node:events';
import { expect } from 'chai';
import { WebSocket, WebSocketServer } from 'ws';
import type { PeerTransport } from '../../federation/transport/index.ts';
import { decodeHello, decodeWelcome, encodeHello, encodeWelcome } from '../../federation/transport/handshake.ts';
import { generateEphemeralKey } from '../../federation/transport/link-keys.ts';
import { makeFederation, startMember, urlOf, waitFor } from './transport-harness.ts';

type Rewrite = (bytes: Buffer) => Uint8Array;
const unchanged: Rewrite = (bytes) => bytes;

/**
 * A relay between a dialer and the member it dials that passes every message on, rewriting the
 * first one each way (the hello and the welcome) as a man in the middle would.
 */
async function startRelay(target: string, hello: Rewrite, welcome: Rewrite): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const upstreams = new Set<WebSocket>();
  server.on('connection', (downstream) => {
    const upstream = new WebSocket(target, { perMessageDeflate: false });
    upstreams.add(upstream);
    const opened = once(upstream, 'open');
    let helloPassed = false;
    let welcomePassed = false;
    downstream.on('message', (data) => {
      const bytes = helloPassed ? (data as Buffer) : hello(data as Buffer);
      helloPassed = true;
      void opened.then(() => upstream.send(bytes));
    });
    upstream.on('message', (data) => {
      const bytes = welcomePassed ? (data as Buffer) : welcome(data as Buffer);
      welcomePassed = true;
      downstream.send(bytes);
    });
    for (const [socket, other] of [[downstream, upstream], [upstream, downstream]] as const) {
      socket.on('error', () => undefined);
      socket.on('close', () => other.terminate());
    }
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      for (const socket of [...server.clients, ...upstreams]) socket.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('peer transport handshake through a man in the middle', function () {
  const federation = makeFederation(2);
  const middleman = generateEphemeralKey().publicKey;
  let acceptor: PeerTransport;
  let dialer: PeerTransport | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;

  beforeEach(async function () {
    acceptor = await startMember(federation, 1, []);
  });

  afterEach(async function () {
    await dialer?.close();
    await relay?.close();
    await acceptor.close();
  });

  async function dialThrough(hello: Rewrite, welcome: Rewrite): Promise<PeerTransport> {
    relay = await startRelay(urlOf(acceptor), hello, welcome);
    dialer = await startMember(federation, 0, [undefined, relay.url], { reconnectMinMs: 1_000, reconnectMaxMs: 1_000 });
    return dialer;
  }

  it('connects through a relay that changes nothing, and frames cross it', async function () {
    const member = await dialThrough(unchanged, unchanged);
    await waitFor(() => member.connectedPeers().includes(1) && acceptor.connectedPeers().includes(0), 'the link through the relay');
    const received: string[] = [];
    acceptor.onMessage((_, payload) => received.push(Buffer.from(payload).toString()));
    member.broadcast(Buffer.from('through'));
    await waitFor(() => received.length === 1, 'the frame');
    expect(received).to.deep.equal(['through']);
  });

  const swaps: { name: string; hello: Rewrite; welcome: Rewrite }[] = [
    { name: "the welcome's X25519 key", hello: unchanged, welcome: (bytes) => encodeWelcome({ ...decodeWelcome(bytes), ephemeralKey: middleman }) },
    { name: "the hello's X25519 key", hello: (bytes) => encodeHello({ ...decodeHello(bytes), ephemeralKey: middleman }), welcome: unchanged },
  ];

  for (const swap of swaps) {
    it(`the dialer refuses the handshake as handshake-bad-signature when a middleman swaps ${swap.name}`, async function () {
      const member = await dialThrough(swap.hello, swap.welcome);
      await waitFor(() => member.stats().dropped['handshake-bad-signature'] >= 1, 'the swapped key refused');
      expect(member.connectedPeers()).to.deep.equal([]);
      expect(acceptor.connectedPeers()).to.deep.equal([]);
      expect(acceptor.stats().received).to.equal(0);
    });
  }
});
