import type { FrameDropReason } from './inbound.ts';
import type { InboundRefusal } from './inbound-gate.ts';

/** Why an outgoing frame to one peer was not sent: the transport never queues without bound. */
export type SendDropReason = 'peer-disconnected' | 'peer-backpressure';

/** Why a connection was closed before it authenticated. */
export type HandshakeFailure =
  | 'handshake-malformed'
  /** A handshake message of another peer protocol version: a member of another release. */
  | 'handshake-version'
  /** The acceptor closed the connection after the hello without a welcome: it refused the hello. */
  | 'handshake-refused'
  | 'handshake-wrong-chain'
  | 'handshake-unknown-member'
  | 'handshake-wrong-direction'
  | 'handshake-bad-signature'
  | 'handshake-timeout';

/** The refusals of a hello that an acceptor names in its close, so that the dialer can say why it has no link (PROTOCOL.md, Versions). */
export type HelloRefusal = 'handshake-wrong-chain' | 'handshake-unknown-member' | 'handshake-wrong-direction';
export const HELLO_REFUSALS: readonly HelloRefusal[] = ['handshake-wrong-chain', 'handshake-unknown-member', 'handshake-wrong-direction'];

/** A frame beyond its sender's inbound budget (see rate-limit.ts), dropped before any check. */
export type RateDrop = 'rate';

export type DropReason = FrameDropReason | RateDrop | SendDropReason | HandshakeFailure | InboundRefusal;

export const DROP_REASONS: readonly DropReason[] = [
  'oversized',
  'malformed',
  'unsupported-version',
  'wrong-chain',
  'unknown-sender',
  'sender-mismatch',
  'wrong-recipient',
  'bad-mac',
  'replayed',
  'stale',
  'rate',
  'peer-disconnected',
  'peer-backpressure',
  'handshake-malformed',
  'handshake-version',
  'handshake-refused',
  'handshake-wrong-chain',
  'handshake-unknown-member',
  'handshake-wrong-direction',
  'handshake-bad-signature',
  'handshake-timeout',
  'inbound-pending',
  'inbound-rate',
];

/** `peer` is the member index when it is known (for a stranger's connection it is not). */
export type TransportEvent =
  /** `acceptorSaid`: for a `handshake-refused`, the refusal the acceptor named in its close. */
  | { type: 'drop'; reason: DropReason; peer?: number; acceptorSaid?: HelloRefusal }
  | { type: 'connected'; peer: number }
  | { type: 'disconnected'; peer: number }
  /** An open link closed because the peer answered no ping for keepaliveMissedPings intervals. */
  | { type: 'silent'; peer: number }
  /**
   * A peer speaks another peer protocol version (`version`): the member `peer` this member
   * dialled, or a dialer at `address`, whose claim to be a member cannot be checked across
   * versions; `claimedMember` is the member its hello says it is, when that hello names this
   * chain, this member as the acceptor, and a member of lower index as the dialer.
   */
  | { type: 'other-version'; version: number; peer?: number; address?: string; claimedMember?: number }
  | { type: 'socket-error'; peer?: number; error: Error };

export interface PeerTransportStats {
  /** Frames handed to a peer socket (a broadcast to four peers counts four). */
  sent: number;
  /** Frames delivered to the message handlers. */
  received: number;
  dropped: Record<DropReason, number>;
}

export class TransportCounters {
  sent = 0;
  received = 0;
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;

  constructor(private readonly onEvent: ((event: TransportEvent) => void) | undefined) {}

  drop(reason: DropReason, peer?: number, acceptorSaid?: HelloRefusal): void {
    this.dropped[reason] += 1;
    this.onEvent?.({ type: 'drop', reason, ...(peer === undefined ? {} : { peer }), ...(acceptorSaid === undefined ? {} : { acceptorSaid }) });
  }

  event(event: TransportEvent): void {
    this.onEvent?.(event);
  }

  snapshot(): PeerTransportStats {
    return { sent: this.sent, received: this.received, dropped: { ...this.dropped } };
  }
}
