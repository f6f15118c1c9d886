import { FRAME_VERSION } from '../transport/frame.ts';
import type { HandshakeFailure, HelloRefusal, TransportEvent } from '../transport/stats.ts';

/** Why a configured peer has no link to this member now, as GET /status and `strongbox status` give it. */
export interface PeerDown {
  memberIndex: number;
  /** When the link first failed for this reason, in ms since 1970; the member's start when it never linked. */
  sinceMs: number;
  /** A stable name of the cause, for programs: `dial-error`, `other-version`, `link-closed`, `never-linked`, `silent`, or a handshake refusal (`handshake-…`). */
  code: string;
  /** The cause in plain words, with what to do about it. */
  reason: string;
}

export interface LinkPeer {
  memberIndex: number;
  /** The peer's address when this member dials it (the peer has a higher index); the other dials this one. */
  url?: string;
}

const SOCKET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused at {url} (not running?)',
  ETIMEDOUT: 'no answer at {url} (the host is down, or a firewall drops the connection)',
  EHOSTUNREACH: 'no route to the host of {url}',
  ENOTFOUND: 'no such host: {url}',
  ECONNRESET: 'connection reset at {url}',
};

const HANDSHAKE_WORDS: Record<HandshakeFailure, string> = {
  'handshake-malformed': 'sent a handshake this member cannot read',
  'handshake-version': `speaks another peer protocol version than this member's ${FRAME_VERSION} (another release: upgrade the older one)`,
  'handshake-refused': "it closed the connection at this member's hello without a welcome: it runs peer protocol 1 (another release: upgrade it), has another genesis file, or does not know this member's key (its log says which); or the connection was only cut at the hello (that member stopping, or the network between the two resetting connections), and the next dial links or says why not",
  'handshake-wrong-chain': 'its handshake names another chain: it runs with another genesis file',
  'handshake-unknown-member': 'its handshake names a key the genesis does not have',
  'handshake-wrong-direction': 'it dialled in the wrong direction (the member of lower index dials): the peer list of one of the two is wrong',
  'handshake-bad-signature': 'its handshake is not signed by its key in the genesis: it runs with another key file',
  'handshake-timeout': 'the handshake did not complete in time (the member is hung, paused or overloaded, or no Strongbox member listens at that address)',
};

const olderOf = (version: number) => (version < FRAME_VERSION ? 'it' : 'this member');

/** A refusal of this member's hello in the acceptor's own words (its close names it). */
const ACCEPTOR_SAID_WORDS: Record<HelloRefusal, string> = {
  'handshake-wrong-chain': "refuses this member's hello as one of another chain: one of the two runs with another genesis file",
  'handshake-unknown-member': "refuses this member's hello: it is not the member this one meant to reach, or its genesis has no member of this one's index (a peer list names the wrong address, or another genesis file)",
  'handshake-wrong-direction': "refuses this member's hello: the member at that address has the lower index, so it dials this one (the peer list of one of the two is wrong)",
};

function otherVersionWords(version: number): string {
  return `refuses this member's handshake: it runs peer protocol ${version}, this member ${FRAME_VERSION} (another release: upgrade ${olderOf(version)})`;
}

function claimedOtherVersionWords(version: number, address: string | undefined): string {
  return `it dials from ${address ?? 'an unknown address'} with peer protocol ${version}, and this member, of ${FRAME_VERSION}, refuses it (another release: upgrade ${olderOf(version)}); known by what its hello says, which cannot be checked across versions`;
}

/**
 * The last reason each configured peer's link failed, fed by the transport's events, so that an
 * operator sees in the status why a member has fewer links than expected, not only in its log.
 * A connection clears the peer's record; a failure of the same kind as the one recorded keeps its
 * time, so `sinceMs` says how long the link has been down for that reason while the dialer retries.
 */
export class PeerLinkFailures {
  private readonly failures = new Map<number, Omit<PeerDown, 'memberIndex'>>();
  private readonly urls: Map<number, string | undefined>;
  private readonly linked = new Set<number>();

  constructor(peers: readonly LinkPeer[], startedMs: number) {
    this.urls = new Map(peers.map((peer) => [peer.memberIndex, peer.url]));
    for (const { memberIndex, url } of peers) {
      const reason = url === undefined ? `it has not connected since this member started (member ${memberIndex} dials this one: see its status)` : `not linked yet since this member started, dialling ${url}`;
      this.failures.set(memberIndex, { sinceMs: startedMs, code: 'never-linked', reason });
    }
  }

  observe(event: TransportEvent, nowMs: number): void {
    if (event.type === 'connected') {
      this.failures.delete(event.peer);
      this.linked.add(event.peer);
      return;
    }
    if (event.type === 'disconnected') this.linked.delete(event.peer);
    if (event.type === 'other-version' && event.peer === undefined) {
      // A member of another release that dials this one is known only by what its hello says.
      const claimed = event.claimedMember;
      if (claimed !== undefined && this.urls.has(claimed) && !this.linked.has(claimed)) this.record(claimed, nowMs, 'other-version', claimedOtherVersionWords(event.version, event.address));
      return;
    }
    // A handshake failing in a member's name while that member is linked is another connection's,
    // a stranger's claim among them: it must not stand for the reason of that link's next close.
    if (event.type === 'drop' && event.peer !== undefined && this.linked.has(event.peer)) return;
    if (event.peer === undefined || !this.urls.has(event.peer)) return;
    const url = this.urls.get(event.peer);
    if (event.type === 'disconnected') {
      // The close that follows a recorded cause (a silent peer, a refusal) says nothing more.
      if (!this.failures.has(event.peer)) this.record(event.peer, nowMs, 'link-closed', url === undefined ? 'its link closed; it dials this member again' : 'its link closed; dialling it again');
    } else if (event.type === 'silent') {
      this.record(event.peer, nowMs, 'silent', 'it answered no ping, so its link was closed (hung, or the network drops its traffic)');
    } else if (event.type === 'other-version') {
      this.record(event.peer, nowMs, 'other-version', otherVersionWords(event.version));
    } else if (event.type === 'socket-error') {
      const code = (event.error as { code?: unknown }).code;
      const words = typeof code === 'string' ? SOCKET_WORDS[code] : undefined;
      this.record(event.peer, nowMs, 'dial-error', (words ?? `${event.error.message} at {url}`).replace('{url}', url ?? 'its address'));
    } else if (event.type === 'drop' && event.reason in HANDSHAKE_WORDS) {
      this.record(event.peer, nowMs, event.reason, event.acceptorSaid ? ACCEPTOR_SAID_WORDS[event.acceptorSaid] : HANDSHAKE_WORDS[event.reason as HandshakeFailure]);
    }
  }

  /** The configured peers not among `connected`, each with its last failure, by member index. */
  down(connected: readonly number[]): PeerDown[] {
    return [...this.urls.keys()]
      .filter((peer) => !connected.includes(peer))
      .sort((a, b) => a - b)
      .map((memberIndex) => ({ memberIndex, ...this.failures.get(memberIndex)! }));
  }

  private record(peer: number, nowMs: number, code: string, reason: string): void {
    const previous = this.failures.get(peer);
    const sinceMs = previous?.code === code && previous.reason === reason ? previous.sinceMs : nowMs;
    this.failures.set(peer, { sinceMs, code, reason });
  }
}
