import type { Logger } from 'pino';
import { IntervalLog } from '../observability/interval-log.ts';
import { FRAME_VERSION } from '../transport/frame.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '../transport/options.ts';
import type { DropReason, TransportEvent } from '../transport/stats.ts';

/**
 * Drops of a known peer's frames or handshake said elsewhere, or not the peer's doing: a clock
 * out of the window and a refused hello below, links down in /status peersDown, and this
 * member's own send queue.
 */
const NOT_REFUSALS = new Set<DropReason>(['stale', 'handshake-refused', 'handshake-version', 'handshake-timeout', 'peer-disconnected', 'peer-backpressure']);

/** The refusals the alerts page for, in words; the others by their code. */
const REFUSAL_WORDS: Partial<Record<DropReason, (peer: number) => string>> = {
  rate: (peer) => `member ${peer} sends more frames or bytes a second than this member's peer rate limit lets in (peer.rateLimitFramesPerSecond, peer.rateLimitBytesPerSecond); the rest are dropped unread`,
  'bad-mac': (peer) => `a frame on member ${peer}'s link does not carry the link's MAC: forged, or altered on its way`,
  'sender-mismatch': (peer) => `a frame on member ${peer}'s link names another member as its sender`,
  replayed: (peer) => `a frame on member ${peer}'s link repeats the sequence number or session of an earlier one`,
  'handshake-bad-signature': (peer) => `a handshake as member ${peer} carries a signature that member's block key did not make`,
};

/**
 * What keeps a peer link from carrying consensus, said in the member's log. Each would otherwise
 * show only as a counter, while the member takes no part in consensus and only catches up: a
 * clock off by more than the window, a peer of another release across a peer protocol change, or
 * a peer that refuses this member's hello; and a peer whose frames this member refuses, which the
 * counter alone does not name.
 */
export class PeerLinkWarnings {
  private readonly skewedFrames: IntervalLog;
  private readonly otherVersions: IntervalLog;
  private readonly refusedHellos: IntervalLog;
  private readonly saidRefusals: IntervalLog;
  private readonly refusedFrames: IntervalLog;

  constructor(log: Logger, intervalMs: number) {
    this.skewedFrames = new IntervalLog(log, `peer frames dropped: their time differs from this member's clock by more than ${DEFAULT_MAX_CLOCK_SKEW_MS / 1000} s, so one of the two clocks is wrong; set both by NTP`, intervalMs);
    this.otherVersions = new IntervalLog(log, `a peer speaks another peer protocol version than this member's ${FRAME_VERSION}, so they cannot connect: it runs another Strongbox release; upgrade the members together across a peer protocol change (OPERATOR.md, Upgrading)`, intervalMs);
    this.refusedHellos = new IntervalLog(log, "a member closed the peer connection at this member's hello without answering: it runs a release of another peer protocol version (upgrade it), or has another genesis file, or this member's key is not its genesis's (see that member's log); or, if a `peer linked` line for it follows, the connection was only cut at the hello (that member stopping, or the network between the two resetting connections)", intervalMs);
    this.saidRefusals = new IntervalLog(log, "a member refused this member's hello and said why: the two disagree on the genesis or on who is at which address; /status peersDown says it in words", intervalMs);
    this.refusedFrames = new IntervalLog(log, "peer frames refused: the member named sends beyond this member's peer rate limit, or frames or a handshake no honest member sends (forged, replayed, signed with another key): a broken or hostile member, someone in the path between the two, or a rate limit set below what honest members send; strongbox_peer_messages_dropped_total counts them by reason", intervalMs);
  }

  observe(event: TransportEvent): void {
    if (event.type === 'other-version') {
      const claim = event.claimedMember === undefined ? '' : ` that says it is member ${event.claimedMember}`;
      const who = event.peer === undefined ? `a peer connecting from ${event.address}${claim}` : `member ${event.peer}`;
      this.otherVersions.occurred(`${event.peer ?? event.address}/${event.version}`, { peer: event.peer, address: event.address, claimedMember: event.claimedMember, peerVersion: event.version }, `${who} speaks peer protocol version ${event.version}`);
    } else if (event.type === 'drop' && event.peer !== undefined) {
      if (event.reason === 'stale') this.skewedFrames.occurred(String(event.peer), { peer: event.peer }, `a frame of member ${event.peer} dated outside this member's clock window`);
      else if (event.reason === 'handshake-refused' && event.acceptorSaid) this.saidRefusals.occurred(String(event.peer), { peer: event.peer, acceptorSaid: event.acceptorSaid }, `member ${event.peer} refused the hello: ${event.acceptorSaid}`);
      else if (event.reason === 'handshake-refused') this.refusedHellos.occurred(String(event.peer), { peer: event.peer }, `member ${event.peer} closed the connection before its welcome`);
      else if (!NOT_REFUSALS.has(event.reason)) {
        const words = REFUSAL_WORDS[event.reason]?.(event.peer) ?? `a frame or handshake of member ${event.peer} refused as ${event.reason}`;
        this.refusedFrames.occurred(`${event.peer}/${event.reason}`, { peer: event.peer, code: event.reason }, words);
      }
    }
  }

  /** Logs what is held back, e.g. when the member stops. */
  flush(): void {
    for (const intervalLog of [this.skewedFrames, this.otherVersions, this.refusedHellos, this.saidRefusals, this.refusedFrames]) intervalLog.flush();
  }
}
