import { DEFAULT_INBOUND_LIMITS, type InboundLimits } from './inbound-gate.ts';
import { publicKeyFromSeed, PUBLIC_KEY_LENGTH } from '../../sidechain/ed25519.ts';
import { ConfigError, ValidationError } from '../../sidechain/errors.ts';
import { BROADCAST, CHAIN_ID_LENGTH, FRAME_OVERHEAD } from './frame.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { BURST_SECONDS, type PeerRateLimit } from './rate-limit.ts';
import type { TransportEvent } from './stats.ts';

export interface PeerTransportMember {
  /** Ed25519 block key. */
  publicKey: Uint8Array;
  /** Where this member's transport listens; needed only for members this one dials (higher indices). */
  url?: string;
}

export interface PeerTransportOptions {
  chainId: Uint8Array;
  memberIndex: number;
  /** Ed25519 seed of this member's block key. */
  seed: Uint8Array;
  /** Every member of the federation, this one included, by member index. */
  members: readonly PeerTransportMember[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port; the bound port is `PeerTransport.port`. */
  port?: number;
  /** Largest payload sent or accepted. Default 4 MiB. */
  maxMessageBytes?: number;
  /** Bytes waiting in one peer's socket beyond which new frames to it are dropped. Default 32 MiB. */
  maxQueuedBytesPerPeer?: number;
  /**
   * Frames and bytes each peer may send, sustained per second, with twice that at once; more are
   * dropped as `rate` before they are decoded. Default 500 frames and 16 MiB a second. What an
   * honest peer sends does not grow with the load: at most fifty relayed batches a second (one
   * per 20 ms, more only when 256 KiB of transactions wait, which the byte budget bounds), a
   * proposal and two votes per round, and a re-send of its round's messages once a second, so it
   * stays below the budget up to about a hundred heights a second. Every admitted frame costs a
   * hash of its bytes and a MAC: the budget is also what a hostile member can make each other spend.
   */
  peerRateLimit?: PeerRateLimit;
  /** Frames whose timestamp is further than this from the receiver's clock are dropped. Default 30 s. */
  maxClockSkewMs?: number;
  /** A connection that has not authenticated within this time is closed. Default 5 s. */
  handshakeTimeoutMs?: number;
  /**
   * Connections in their handshake, from one address and in all, and new connections a second
   * from one address; more are closed at once and counted (`inbound-pending`, `inbound-rate`).
   * Defaults 8, 32 and 5 a second.
   */
  inboundLimits?: InboundLimits;
  /**
   * Reconnect delays double from the first to the cap. Defaults 100 ms and 1 s: a peer that comes
   * back (or starts after this member) is reached within a second, at the price of one refused
   * connection a second while it is down; each second without the link is a second in which the
   * peer's proposals reach this member only as final blocks fetched afterwards.
   */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * An open link is pinged every keepaliveIntervalMs (default 5 s) and closed once
   * keepaliveMissedPings (default 3) pings in a row went unanswered with nothing else heard: a
   * peer that hangs, or a network that drops its packets without a reset, otherwise leaves a
   * socket that looks open for as long as TCP keeps it (many minutes), and the member counts that
   * peer as connected. Unanswered pings are counted rather than timed, so a pause of this
   * member's own event loop does not close a link that is alive.
   */
  keepaliveIntervalMs?: number;
  keepaliveMissedPings?: number;
  /** Drops, connections and socket errors, for logs and metrics. */
  onEvent?: (event: TransportEvent) => void;
}

export type ResolvedOptions = Required<Omit<PeerTransportOptions, 'onEvent'>> & Pick<PeerTransportOptions, 'onEvent'>;

/** How far a frame's timestamp may be from the receiver's clock; beyond it the frame is dropped as `stale`. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 30_000;

export const DEFAULT_PEER_RATE_LIMIT: PeerRateLimit = { framesPerSecond: 500, bytesPerSecond: 16 * 1024 * 1024 };

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxMessageBytes: 4 * 1024 * 1024,
  maxQueuedBytesPerPeer: 32 * 1024 * 1024,
  peerRateLimit: DEFAULT_PEER_RATE_LIMIT,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
  handshakeTimeoutMs: 5_000,
  inboundLimits: DEFAULT_INBOUND_LIMITS,
  reconnectMinMs: 100,
  reconnectMaxMs: 1_000,
  keepaliveIntervalMs: 5_000,
  keepaliveMissedPings: 3,
};

function positiveInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`transport.${field}`, `must be a positive integer, got ${value}`);
}

/** Members decide blocks with each other: a member has to have at least one peer. */
export const MIN_MEMBERS = 2;

/**
 * Refuses, at a genesis ceremony, a federation no member could run in. The genesis rules accept
 * one member (its chain id is well defined, and an auditor could follow such a chain), but a
 * member starts its peer transport with the others, so a ceremony that wrote such a file would
 * leave its operators with a chain that never makes a block.
 */
export function checkCeremonyMemberCount(count: number): void {
  if (count < MIN_MEMBERS) {
    throw new ValidationError('too-few-members', `a federation needs at least ${MIN_MEMBERS} members, got ${count}: members decide blocks with each other, and no member starts with a genesis of ${count}`);
  }
}

/** Checks the options up front so that a misconfigured member fails at start, not on first message. */
export function resolveOptions(options: PeerTransportOptions): ResolvedOptions {
  const resolved = { ...DEFAULTS, ...options };
  if (resolved.chainId.length !== CHAIN_ID_LENGTH) throw new ConfigError('transport.chainId', `must be ${CHAIN_ID_LENGTH} bytes`);
  if (resolved.members.length < MIN_MEMBERS || resolved.members.length >= BROADCAST) {
    throw new ConfigError('transport.members', `needs ${MIN_MEMBERS} to ${BROADCAST - 1} members, got ${resolved.members.length}`);
  }
  const own = resolved.members[resolved.memberIndex];
  if (!Number.isInteger(resolved.memberIndex) || own === undefined) {
    throw new ConfigError('transport.memberIndex', `${resolved.memberIndex} is not in the member list`);
  }
  resolved.members.forEach((member, index) => {
    if (member.publicKey.length !== PUBLIC_KEY_LENGTH) throw new ConfigError(`transport.members[${index}].publicKey`, `must be ${PUBLIC_KEY_LENGTH} bytes`);
    if (index > resolved.memberIndex && !member.url) throw new ConfigError(`transport.members[${index}].url`, 'is required: this member dials every member with a higher index');
  });
  if (!sameBytes(publicKeyFromSeed(resolved.seed), own.publicKey)) {
    throw new ConfigError('transport.seed', `does not match the public key of member ${resolved.memberIndex}`);
  }
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) throw new ConfigError('transport.port', `must be 0 to 65535, got ${resolved.port}`);
  positiveInteger('maxMessageBytes', resolved.maxMessageBytes);
  positiveInteger('maxQueuedBytesPerPeer', resolved.maxQueuedBytesPerPeer);
  positiveInteger('peerRateLimit.framesPerSecond', resolved.peerRateLimit.framesPerSecond);
  positiveInteger('peerRateLimit.bytesPerSecond', resolved.peerRateLimit.bytesPerSecond);
  // Otherwise the largest message a peer may send could never pass.
  if (resolved.peerRateLimit.bytesPerSecond * BURST_SECONDS < resolved.maxMessageBytes + FRAME_OVERHEAD) {
    throw new ConfigError('transport.peerRateLimit.bytesPerSecond', `${BURST_SECONDS} s of it must hold the largest frame, ${resolved.maxMessageBytes + FRAME_OVERHEAD} bytes`);
  }
  positiveInteger('maxClockSkewMs', resolved.maxClockSkewMs);
  positiveInteger('handshakeTimeoutMs', resolved.handshakeTimeoutMs);
  for (const [field, value] of Object.entries(resolved.inboundLimits)) positiveInteger(`inboundLimits.${field}`, value);
  positiveInteger('reconnectMinMs', resolved.reconnectMinMs);
  if (resolved.reconnectMaxMs < resolved.reconnectMinMs) throw new ConfigError('transport.reconnectMaxMs', 'must not be below reconnectMinMs');
  positiveInteger('keepaliveIntervalMs', resolved.keepaliveIntervalMs);
  positiveInteger('keepaliveMissedPings', resolved.keepaliveMissedPings);
  return resolved;
}
