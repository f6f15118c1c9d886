import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { InboundGate } from './inbound-gate.ts';
import { PeerConnection, type ConnectionContext } from './connection.ts';
import { Dialer, socketOptions } from './dialer.ts';
import { PeerTransportError } from './errors.ts';
import { BROADCAST, SESSION_NONCE_LENGTH, sealFrame, type SealedFrame } from './frame.ts';
import type { PeerSession } from './inbound.ts';
import { resolveOptions, type PeerTransportOptions } from './options.ts';
import type { PeerBudget } from './rate-limit.ts';
import { TransportCounters, type PeerTransportStats } from './stats.ts';

export type MessageHandler = (fromIndex: number, payload: Uint8Array) => void;

export interface PeerTransport {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Hashes the frame once and sends it to every connected peer, each with its link's MAC. */
  broadcast(payload: Uint8Array): void;
  send(toIndex: number, payload: Uint8Array): void;
  /** Handlers run synchronously, in arrival order per peer; returns a function that removes it. */
  onMessage(handler: MessageHandler): () => void;
  stats(): PeerTransportStats;
  /** Members with an authenticated connection right now, ascending. */
  connectedPeers(): number[];
  /** Closes every socket and the listener; resolves when none is left. */
  close(): Promise<void>;
}

/**
 * Starts the authenticated peer transport of one member: listens for the members with lower
 * indices and dials those with higher ones. Delivery is best effort and at most once: a frame
 * to a peer that is not connected, or whose socket already holds maxQueuedBytesPerPeer, is
 * dropped and counted, never queued; consensus re-gossips what matters.
 */
export async function startPeerTransport(input: PeerTransportOptions): Promise<PeerTransport> {
  const options = resolveOptions(input);
  const counters = new TransportCounters(options.onEvent);
  const links = new Map<number, PeerConnection>();
  const handlers = new Set<MessageHandler>();
  const sessionNonce = new Uint8Array(randomBytes(SESSION_NONCE_LENGTH));
  let sequence = 0n;
  let closing = false;

  const context: ConnectionContext = {
    options,
    rules: {
      chainId: options.chainId,
      memberIndex: options.memberIndex,
      memberCount: options.members.length,
      maxMessageBytes: options.maxMessageBytes,
      maxClockSkewMs: options.maxClockSkewMs,
    },
    sessionNonce,
    counters,
    sessions: new Map<number, PeerSession>(),
    budgets: new Map<number, PeerBudget>(),
    isClosing: () => closing,
    onAuthenticated(connection) {
      const peer = connection.peer!;
      // A peer that restarted may reconnect before its old socket is seen to close.
      const previous = links.get(peer);
      links.set(peer, connection);
      previous?.terminate();
      counters.event({ type: 'connected', peer });
    },
    onClosed(connection) {
      const peer = connection.peer;
      if (peer === undefined || links.get(peer) !== connection) return;
      links.delete(peer);
      if (!closing) counters.event({ type: 'disconnected', peer });
    },
    deliver(from, payload) {
      counters.received += 1;
      for (const handler of handlers) handler(from, payload);
    },
  };

  const inbound = new InboundGate(options.inboundLimits);
  const server = new WebSocketServer({ host: options.host, port: options.port, ...socketOptions(options.maxMessageBytes) });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('error', (error) => counters.event({ type: 'socket-error', error }));
  // Accepted sockets are tracked until their 'close' so that close() can wait for every handle.
  const accepted = new Set<Promise<void>>();
  server.on('connection', (socket, request) => {
    const address = request.socket.remoteAddress ?? 'unknown';
    const refused = inbound.admit(address, Date.now());
    if (refused) {
      counters.drop(refused);
      socket.terminate();
      return;
    }
    PeerConnection.accept(socket, context, address, () => inbound.settled(address));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    accepted.add(closed);
    void closed.then(() => accepted.delete(closed));
  });

  const peers = options.members.map((_, index) => index).filter((index) => index !== options.memberIndex);
  const dialers = peers
    .filter((index) => index > options.memberIndex)
    .map((index) => new Dialer(index, options.members[index]!.url!, context));
  for (const dialer of dialers) dialer.start();

  function checkPayload(payload: Uint8Array): void {
    if (payload.length > options.maxMessageBytes) {
      throw new PeerTransportError('payload-too-large', `peer message of ${payload.length} bytes exceeds the limit of ${options.maxMessageBytes}`);
    }
  }

  function seal(recipient: number, payload: Uint8Array): SealedFrame {
    sequence += 1n;
    return sealFrame({
      chainId: options.chainId,
      sender: options.memberIndex,
      recipient,
      sessionNonce,
      sequence,
      timestampMs: BigInt(Date.now()),
      payload,
    });
  }

  function deliverTo(peer: number, frame: SealedFrame): void {
    const link = links.get(peer);
    const dropped = link ? link.trySend(frame) : 'peer-disconnected';
    if (dropped) counters.drop(dropped, peer);
    else counters.sent += 1;
  }

  return {
    port: (server.address() as AddressInfo).port,
    broadcast(payload) {
      checkPayload(payload);
      const connected = peers.filter((peer) => links.get(peer)?.isOpen);
      for (const peer of peers) if (!connected.includes(peer)) counters.drop('peer-disconnected', peer);
      if (connected.length === 0) return;
      const frame = seal(BROADCAST, payload);
      for (const peer of connected) deliverTo(peer, frame);
    },
    send(toIndex, payload) {
      if (!peers.includes(toIndex)) throw new PeerTransportError('unknown-recipient', `member ${toIndex} is not a peer of member ${options.memberIndex}`);
      checkPayload(payload);
      if (!links.get(toIndex)?.isOpen) return counters.drop('peer-disconnected', toIndex);
      deliverTo(toIndex, seal(toIndex, payload));
    },
    onMessage(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    stats: () => counters.snapshot(),
    connectedPeers: () => [...links.keys()].filter((peer) => links.get(peer)!.isOpen).sort((a, b) => a - b),
    async close() {
      if (closing) return;
      closing = true;
      const stopped = dialers.map((dialer) => dialer.stop());
      for (const client of server.clients) client.terminate();
      await Promise.all([...stopped, ...accepted, new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  };
}
