import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { FRAME_VERSION, taggedLength, tagFrame, type SealedFrame } from './frame.ts';
import { CHALLENGE_LENGTH, HELLO, PROOF, WELCOME, decodeHello, decodeProof, decodeWelcome, encodeHello, encodeProof, encodeWelcome, readHelloClaim, signTranscript, transcriptHash, transcriptSignatureValid, type Hello } from './handshake.ts';
import { admitFrame, type InboundRules, type PeerSession } from './inbound.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { deriveLinkKeys, generateEphemeralKey, sharedSecret, type EphemeralKey, type LinkKeys, type LinkRole } from './link-keys.ts';
import type { ResolvedOptions } from './options.ts';
import { PeerBudget } from './rate-limit.ts';
import { HELLO_REFUSALS, type HandshakeFailure, type HelloRefusal, type SendDropReason, type TransportCounters } from './stats.ts';

/** What every connection of one transport shares. */
export interface ConnectionContext {
  options: ResolvedOptions;
  rules: InboundRules;
  sessionNonce: Uint8Array;
  counters: TransportCounters;
  /** Inbound session per peer, kept across reconnections so a reconnect does not reopen the replay window. */
  sessions: Map<number, PeerSession>;
  /** Inbound budget per peer, kept across reconnections so reconnecting does not refill it. */
  budgets: Map<number, PeerBudget>;
  isClosing(): boolean;
  onAuthenticated(connection: PeerConnection): void;
  onClosed(connection: PeerConnection): void;
  deliver(from: number, payload: Uint8Array): void;
}

type Step = 'await-hello' | 'await-welcome' | 'await-proof' | 'open';

/**
 * The WebSocket close code with which a member refuses a handshake message of another peer
 * protocol version; the close reason is its own version in decimal. Close frames are WebSocket's,
 * the same whatever Strongbox speaks inside them, so a member of any later release can tell its
 * operator which version the other side speaks (PROTOCOL.md, Handshake).
 */
export const OTHER_VERSION_CLOSE_CODE = 4002;

/**
 * The close code with which a member refuses a hello of its own version for what it names (another
 * chain, a member it does not know, the wrong direction); the close reason is the refusal's name,
 * so the dialer can tell its operator why, not only that it was refused.
 */
export const HELLO_REFUSED_CLOSE_CODE = 4003;

const isHelloRefusal = (reason: string): reason is HelloRefusal => (HELLO_REFUSALS as readonly string[]).includes(reason);

/**
 * One WebSocket to one peer, in either role. Until both sides have signed the handshake
 * transcript over each other's fresh challenge and X25519 key, nothing but the next handshake
 * message is accepted and the connection is closed on any deviation or at the handshake
 * deadline; after that, every frame carries a MAC under the keys this handshake agreed, which
 * live in this object only and go with it, and goes through `admitFrame`.
 */
export class PeerConnection {
  private step: Step;
  private readonly deadline: NodeJS.Timeout;
  private readonly challenge = new Uint8Array(randomBytes(CHALLENGE_LENGTH));
  /** Dropped once the link keys are derived: nothing else needs it. */
  private ephemeral: EphemeralKey | undefined = generateEphemeralKey();
  private hello: Hello | undefined;
  /** The acceptor's, between the welcome it sent and the proof it awaits. */
  private transcript: Uint8Array | undefined;
  private keys: LinkKeys | undefined;
  private authenticated = false;
  private keepalive: NodeJS.Timeout | undefined;
  /** Pings sent since the peer was last heard (a pong or a frame). */
  private unansweredPings = 0;
  /** Set once this side has given up on the handshake, so the close that follows is not read as the peer's refusal. */
  private failed = false;
  /** The socket is corked until the current tick ends (holdWritesForThisTick). */
  private corked = false;

  private constructor(
    readonly socket: WebSocket,
    private readonly context: ConnectionContext,
    /** Known from the start when dialling; learnt from the hello when accepting. */
    public peer: number | undefined,
    /** Called once, when the handshake ends: authenticated, or closed before. */
    private handshakeEnded?: () => void,
    /** The remote address of an accepted connection, for what the operator is told before the dialer is authenticated. */
    private readonly address?: string,
  ) {
    this.step = peer === undefined ? 'await-hello' : 'await-welcome';
    // A peer that has not answered a version refusal's close frame is cut off at the same deadline.
    this.deadline = setTimeout(() => (this.failed ? this.socket.terminate() : this.fail('handshake-timeout')), context.options.handshakeTimeoutMs);
    socket.on('message', (data: RawData, isBinary: boolean) => {
      this.unansweredPings = 0;
      this.receive(toBytes(data), isBinary);
    });
    socket.on('pong', () => {
      this.unansweredPings = 0;
    });
    socket.on('error', (error: Error & { code?: string }) => this.socketError(error));
    socket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(this.deadline);
      clearInterval(this.keepalive);
      if (this.step === 'await-welcome' && this.hello && !this.failed && !context.isClosing()) this.refusedByAcceptor(code, reason.toString());
      this.endHandshake();
      context.onClosed(this);
    });
  }

  static accept(socket: WebSocket, context: ConnectionContext, address: string, handshakeEnded?: () => void): PeerConnection {
    return new PeerConnection(socket, context, undefined, handshakeEnded, address);
  }

  private endHandshake(): void {
    const ended = this.handshakeEnded;
    this.handshakeEnded = undefined;
    ended?.();
  }

  static dial(socket: WebSocket, context: ConnectionContext, peer: number): PeerConnection {
    const connection = new PeerConnection(socket, context, peer);
    socket.once('open', () => connection.sendHello(peer));
    return connection;
  }

  /** True once this connection completed its handshake, even if it has closed since. */
  get wasAuthenticated(): boolean {
    return this.authenticated;
  }

  get isOpen(): boolean {
    return this.step === 'open' && this.socket.readyState === this.socket.OPEN;
  }

  trySend(frame: SealedFrame): SendDropReason | null {
    if (!this.isOpen) return 'peer-disconnected';
    if (this.socket.bufferedAmount + taggedLength(frame) > this.context.options.maxQueuedBytesPerPeer) return 'peer-backpressure';
    this.holdWritesForThisTick();
    this.socket.send(tagFrame(frame, this.keys!.send), { binary: true });
    return null;
  }

  /**
   * ws writes each frame with a system call of its own. Several frames often go to one peer in
   * one turn of the event loop (the transactions relayed ahead of a vote, a regossip's votes and
   * proposal): with the socket corked until the tick ends they leave in one write, and the peer
   * reads them in one, the frames and their order unchanged. Frames held so count towards
   * bufferedAmount, and so towards maxQueuedBytesPerPeer, as frames the kernel has not taken do.
   */
  private holdWritesForThisTick(): void {
    // ws keeps the net.Socket it writes to as `_socket`, and exposes no cork of its own.
    const raw = (this.socket as unknown as { _socket?: Socket | null })._socket;
    if (this.corked || !raw) return;
    raw.cork();
    this.corked = true;
    process.nextTick(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  terminate(): void {
    this.socket.terminate();
  }

  private sendHello(acceptor: number): void {
    const { options, sessionNonce } = this.context;
    this.hello = { chainId: options.chainId, dialer: options.memberIndex, acceptor, nonce: sessionNonce, challenge: this.challenge, ephemeralKey: this.ephemeral!.publicKey };
    this.socket.send(encodeHello(this.hello));
  }

  private receive(bytes: Uint8Array, isBinary: boolean): void {
    if (this.step === 'open') {
      if (!isBinary) return this.context.counters.drop('malformed', this.peer);
      return this.receiveFrame(bytes);
    }
    if (!isBinary) return this.fail('handshake-malformed');
    // Every version starts its handshake messages with its version byte and the message kind; one
    // of another version is a member of another release, which the operator must be told (not one
    // more malformed hello).
    if (bytes.length >= 2 && bytes[0] !== FRAME_VERSION && bytes[1] === expectedKind(this.step)) return this.otherVersion(bytes[0]!, bytes);
    try {
      if (this.step === 'await-hello') this.receiveHello(bytes);
      else if (this.step === 'await-welcome') this.receiveWelcome(bytes);
      else this.receiveProof(bytes);
    } catch (error) {
      if (!(error instanceof HandshakeRejection)) return this.fail('handshake-malformed');
      if (this.step === 'await-hello' && isHelloRefusal(error.reason)) return this.refuseHello(error.reason);
      this.fail(error.reason);
    }
  }

  private receiveHello(bytes: Uint8Array): void {
    const { options } = this.context;
    const hello = decodeHello(bytes);
    if (!sameBytes(hello.chainId, options.chainId)) throw new HandshakeRejection('handshake-wrong-chain');
    if (options.members[hello.dialer] === undefined || hello.acceptor !== options.memberIndex) throw new HandshakeRejection('handshake-unknown-member');
    // The lower index always dials, so each pair has exactly one connection.
    if (hello.dialer >= options.memberIndex) throw new HandshakeRejection('handshake-wrong-direction');
    this.hello = hello;
    this.peer = hello.dialer;
    const welcome = { nonce: this.context.sessionNonce, challenge: this.challenge, ephemeralKey: this.ephemeral!.publicKey };
    this.transcript = transcriptHash({ hello, welcome });
    // Before signing: a hello with a key of low order is refused without costing a signature.
    this.agreeKeys('acceptor', hello.ephemeralKey, this.transcript);
    const signature = signTranscript(options.seed, 'acceptor', this.transcript);
    this.step = 'await-proof';
    this.socket.send(encodeWelcome({ ...welcome, signature }));
  }

  private receiveWelcome(bytes: Uint8Array): void {
    const { options } = this.context;
    const welcome = decodeWelcome(bytes);
    const transcript = transcriptHash({ hello: this.hello!, welcome });
    if (!transcriptSignatureValid(this.peerKey(), 'acceptor', transcript, welcome.signature)) throw new HandshakeRejection('handshake-bad-signature');
    this.agreeKeys('dialer', welcome.ephemeralKey, transcript);
    this.socket.send(encodeProof(signTranscript(options.seed, 'dialer', transcript)));
    this.open(welcome.nonce);
  }

  private receiveProof(bytes: Uint8Array): void {
    const signature = decodeProof(bytes);
    if (!transcriptSignatureValid(this.peerKey(), 'dialer', this.transcript!, signature)) throw new HandshakeRejection('handshake-bad-signature');
    this.open(this.hello!.nonce);
  }

  /** Throws DecodeError for a peer key with no shared secret (one of low order). */
  private agreeKeys(role: LinkRole, peerEphemeralKey: Uint8Array, transcript: Uint8Array): void {
    this.keys = deriveLinkKeys(sharedSecret(this.ephemeral!.privateKey, peerEphemeralKey), transcript, role);
    this.ephemeral = undefined;
  }

  private peerKey(): Uint8Array {
    return this.context.options.members[this.peer!]!.publicKey;
  }

  private open(peerNonce: Uint8Array): void {
    const peer = this.peer!;
    const known = this.context.sessions.get(peer);
    if (!known || !sameBytes(known.nonce, peerNonce)) this.context.sessions.set(peer, { peer, nonce: peerNonce, lastSequence: 0n });
    if (!this.context.budgets.has(peer)) this.context.budgets.set(peer, new PeerBudget(this.context.options.peerRateLimit));
    clearTimeout(this.deadline);
    this.step = 'open';
    this.authenticated = true;
    this.keepalive = setInterval(() => this.checkAlive(), this.context.options.keepaliveIntervalMs);
    this.endHandshake();
    this.context.onAuthenticated(this);
  }

  private receiveFrame(bytes: Uint8Array): void {
    // Charged to the peer this connection authenticated, before anything is decoded: whoever
    // sends on it, a frame beyond the budget is only counted.
    if (!this.context.budgets.get(this.peer!)!.admit(bytes.length, Date.now())) return this.context.counters.drop('rate', this.peer);
    const session = this.context.sessions.get(this.peer!)!;
    const verdict = admitFrame(this.context.rules, session, this.keys!.receive, bytes, Date.now());
    if ('drop' in verdict) return this.context.counters.drop(verdict.drop, this.peer);
    this.context.deliver(verdict.frame.sender, verdict.frame.payload);
  }

  /**
   * A peer that answers nothing for keepaliveMissedPings intervals is gone, whatever the socket
   * says: closing the link makes it count as disconnected, and the dialer tries again.
   */
  private checkAlive(): void {
    if (this.unansweredPings >= this.context.options.keepaliveMissedPings) {
      this.context.counters.event({ type: 'silent', peer: this.peer! });
      this.socket.terminate();
      return;
    }
    this.unansweredPings += 1;
    this.socket.ping();
  }

  private fail(reason: HandshakeFailure): void {
    if (this.step === 'open' || this.context.isClosing()) return;
    this.failed = true;
    this.context.counters.drop(reason, this.peer);
    this.socket.terminate();
  }

  private refuseHello(reason: HelloRefusal): void {
    if (this.context.isClosing()) return;
    this.failed = true;
    this.context.counters.drop(reason);
    this.socket.close(HELLO_REFUSED_CLOSE_CODE, reason);
  }

  private otherVersion(version: number, message: Uint8Array): void {
    if (this.context.isClosing()) return;
    this.failed = true;
    this.reportOtherVersion(version, this.step === 'await-hello' ? this.claimedDialer(message) : undefined);
    this.socket.close(OTHER_VERSION_CLOSE_CODE, String(FRAME_VERSION));
  }

  private reportOtherVersion(version: number, claimedMember?: number): void {
    this.context.counters.drop('handshake-version', this.peer);
    if (this.peer !== undefined) return this.context.counters.event({ type: 'other-version', version, peer: this.peer });
    const address = this.address ?? 'unknown';
    this.context.counters.event(claimedMember === undefined ? { type: 'other-version', version, address } : { type: 'other-version', version, address, claimedMember });
  }

  /**
   * The member a hello of another version says dials this one, if it names this chain, this
   * member, and a member allowed to dial it (of lower index): what this member can say of a
   * member of another release that dials it, short of checking the claim.
   */
  private claimedDialer(hello: Uint8Array): number | undefined {
    const { options } = this.context;
    const claim = readHelloClaim(hello);
    if (!claim || !sameBytes(claim.chainId, options.chainId) || claim.acceptor !== options.memberIndex) return undefined;
    return options.members[claim.dialer] !== undefined && claim.dialer < options.memberIndex ? claim.dialer : undefined;
  }

  /**
   * The acceptor closed after this member's hello without a welcome. One that knows the close
   * codes above says which version it speaks, or why it refused the hello; one of peer protocol
   * 1, or of a release before the refusal code, just closes.
   */
  private refusedByAcceptor(code: number, reason: string): void {
    const version = Number.parseInt(reason, 10);
    if (code === OTHER_VERSION_CLOSE_CODE && Number.isInteger(version)) return this.reportOtherVersion(version);
    this.context.counters.drop('handshake-refused', this.peer, code === HELLO_REFUSED_CLOSE_CODE && isHelloRefusal(reason) ? reason : undefined);
  }

  private socketError(error: Error & { code?: string }): void {
    // Once this side has given up on the handshake, the error ws reports of the socket it ended
    // (`WebSocket was closed before the connection was established`) is that same failure.
    if (this.context.isClosing() || this.failed) return;
    // ws reports a frame above maxPayload, or broken WebSocket framing, as an error and closes.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return this.context.counters.drop('oversized', this.peer);
    if (error.code?.startsWith('WS_ERR_')) return this.context.counters.drop('malformed', this.peer);
    this.context.counters.event(this.peer === undefined ? { type: 'socket-error', error } : { type: 'socket-error', peer: this.peer, error });
  }
}

class HandshakeRejection extends Error {
  constructor(readonly reason: HandshakeFailure) {
    super(reason);
  }
}

function expectedKind(step: Exclude<Step, 'open'>): number {
  return step === 'await-hello' ? HELLO : step === 'await-welcome' ? WELCOME : PROOF;
}

function toBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
