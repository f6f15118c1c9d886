import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { CHALLENGE_LENGTH, envelopeIsAuthentic, openEnvelope, sealEnvelope } from './envelope.ts';

export type PeerDropReason = 'malformed' | 'unknown-sender' | 'bad-signature' | 'replayed';

export interface PeerTransportOptions {
  chainId: Uint8Array;
  memberIndex: number;
  seed: Uint8Array;
  /** Block keys of all members, by index. */
  memberKeys: Uint8Array[];
  peers: { memberIndex: number; url: string }[];
  host: string;
  port: number;
  maxPayloadBytes: number;
  onMessage(from: number, payload: Uint8Array): void;
  onDrop(reason: PeerDropReason): void;
}

export interface PeerTransport {
  port: number;
  broadcast(payload: Uint8Array): void;
  connectedPeers(): number[];
  close(): Promise<void>;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;
/** Frames queued for a slow peer beyond this are dropped: consensus re-gossips, memory stays bounded. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Member-to-member messages over WebSocket. Every member dials every other member and sends on
 * that connection only; it receives on the connections others dialled to it. On each inbound
 * connection the receiver first sends a random challenge, and every frame must carry the
 * sender's signature over it (see envelope.ts), so a stranger can open a socket but never get a
 * frame accepted. Delivery is best effort and at most once: consensus re-sends what matters.
 */
export async function startPeerTransport(options: PeerTransportOptions): Promise<PeerTransport> {
  const server = new WebSocketServer({ host: options.host, port: options.port, maxPayload: options.maxPayloadBytes + 1024 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  server.on('connection', (socket) => {
    const challenge = new Uint8Array(randomBytes(CHALLENGE_LENGTH));
    const lastSequence = new Map<number, bigint>();
    socket.send(challenge);
    socket.on('message', (data: RawData) => {
      const bytes = toBytes(data);
      let envelope;
      try {
        envelope = openEnvelope(bytes, options.maxPayloadBytes);
      } catch {
        options.onDrop('malformed');
        return;
      }
      const key = options.memberKeys[envelope.sender];
      if (!key || envelope.sender === options.memberIndex) return options.onDrop('unknown-sender');
      if (!envelopeIsAuthentic(options.chainId, challenge, key, envelope)) return options.onDrop('bad-signature');
      if (envelope.sequence <= (lastSequence.get(envelope.sender) ?? -1n)) return options.onDrop('replayed');
      lastSequence.set(envelope.sender, envelope.sequence);
      options.onMessage(envelope.sender, envelope.payload);
    });
    socket.on('error', () => socket.terminate());
  });

  const outbound = options.peers.map((peer) => new OutboundPeer(peer.memberIndex, peer.url, options));
  for (const peer of outbound) peer.connect();

  return {
    port: (server.address() as AddressInfo).port,
    broadcast(payload) {
      for (const peer of outbound) peer.send(payload);
    },
    connectedPeers() {
      return outbound.filter((peer) => peer.ready).map((peer) => peer.memberIndex);
    },
    async close() {
      for (const peer of outbound) peer.close();
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class OutboundPeer {
  private socket: WebSocket | undefined;
  private challenge: Uint8Array | undefined;
  private sequence = 0n;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly memberIndex: number,
    private readonly url: string,
    private readonly options: PeerTransportOptions,
  ) {}

  get ready(): boolean {
    return this.challenge !== undefined && this.socket?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url, { maxPayload: CHALLENGE_LENGTH + 16 });
    this.socket = socket;
    this.challenge = undefined;
    socket.on('message', (data: RawData) => {
      const bytes = toBytes(data);
      if (this.challenge === undefined && bytes.length === CHALLENGE_LENGTH) {
        this.challenge = bytes;
        this.retryMs = RECONNECT_MIN_MS;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.challenge = undefined;
      if (this.closed) return;
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    });
  }

  send(payload: Uint8Array): void {
    const socket = this.socket;
    if (!this.ready || !socket || !this.challenge) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) return;
    this.sequence += 1n;
    socket.send(sealEnvelope(this.options.chainId, this.challenge, this.options.seed, this.options.memberIndex, this.sequence, payload));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket?.terminate();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return new Uint8Array(data);
}
