import { WebSocket } from 'ws';
import { PeerConnection, type ConnectionContext } from './connection.ts';
import { FRAME_OVERHEAD } from './frame.ts';

/** WebSocket options for every peer socket: these are member-to-member links, not browser traffic. */
export function socketOptions(maxMessageBytes: number) {
  return {
    maxPayload: maxMessageBytes + FRAME_OVERHEAD,
    // Frames of mostly random bytes (hashes, signatures, MACs) do not compress; deflate only adds latency.
    perMessageDeflate: false,
  };
}

/**
 * Keeps one connection to one higher-indexed peer: dials, and after every close dials again
 * with a delay that doubles from reconnectMinMs up to reconnectMaxMs, and starts over from the
 * minimum once a connection has authenticated.
 */
export class Dialer {
  private connection: PeerConnection | undefined;
  private retry: NodeJS.Timeout | undefined;
  private delayMs: number;
  private stopped = false;

  constructor(
    private readonly peer: number,
    private readonly url: string,
    private readonly context: ConnectionContext,
  ) {
    this.delayMs = context.options.reconnectMinMs;
  }

  start(): void {
    const { options } = this.context;
    const socket = new WebSocket(this.url, {
      // No handshakeTimeout of ws's own: the connection's deadline (handshakeTimeoutMs) spans the
      // connect, the upgrade and the hello, and names its failure in words of its own.
      ...socketOptions(options.maxMessageBytes),
      // RFC 6455 masking protects browser intermediaries from crafted bytes; frames here carry
      // a MAC and go member to member, and an all-zero mask lets ws send them without a copy.
      generateMask: () => undefined,
    });
    const connection = PeerConnection.dial(socket, this.context, this.peer);
    this.connection = connection;
    socket.on('close', () => {
      if (this.stopped) return;
      if (connection.wasAuthenticated) this.delayMs = options.reconnectMinMs;
      this.retry = setTimeout(() => this.start(), this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, options.reconnectMaxMs);
    });
  }

  /** Resolves once the socket is closed, so no handle outlives the transport. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const socket = this.connection?.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }
}
