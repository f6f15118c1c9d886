import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { generateKeyPair, type Ed25519KeyPair } from '../../sidechain/ed25519.ts';
import { startPeerTransport, type PeerTransport, type PeerTransportOptions } from '../../federation/transport/index.ts';
import type { KeyObject } from 'node:crypto';
import { SESSION_NONCE_LENGTH, sealFrame, tagFrame, type FrameFields } from '../../federation/transport/frame.ts';
import { CHALLENGE_LENGTH, decodeWelcome, encodeHello, encodeProof, signTranscript, transcriptHash, type Hello } from '../../federation/transport/handshake.ts';
import { deriveLinkKeys, generateEphemeralKey, sharedSecret, type LinkKeys } from '../../federation/transport/link-keys.ts';

export interface Federation {
  chainId: Uint8Array;
  keys: Ed25519KeyPair[];
}

export function makeFederation(size: number): Federation {
  return { chainId: new Uint8Array(randomBytes(32)), keys: Array.from({ length: size }, () => generateKeyPair()) };
}

export type Overrides = Partial<Omit<PeerTransportOptions, 'chainId' | 'memberIndex' | 'seed' | 'members'>>;

export function startMember(federation: Federation, index: number, urls: readonly (string | undefined)[], overrides: Overrides = {}): Promise<PeerTransport> {
  return startPeerTransport({
    chainId: federation.chainId,
    memberIndex: index,
    seed: federation.keys[index]!.seed,
    members: federation.keys.map((key, member) => ({ publicKey: key.publicKey, ...(urls[member] ? { url: urls[member] } : {}) })),
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    ...overrides,
  });
}

export const urlOf = (transport: PeerTransport): string => `ws://127.0.0.1:${transport.port}`;

/** Starts every member on a free port, highest index first: each dials only higher indices. */
export async function startFederation(federation: Federation, overrides: Overrides = {}): Promise<PeerTransport[]> {
  const transports: PeerTransport[] = [];
  const urls: (string | undefined)[] = [];
  for (let index = federation.keys.length - 1; index >= 0; index--) {
    const transport = await startMember(federation, index, urls, overrides);
    transports[index] = transport;
    urls[index] = urlOf(transport);
  }
  return transports;
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function recordMessages(transport: PeerTransport): { from: number; text: string }[] {
  const received: { from: number; text: string }[] = [];
  transport.onMessage((from, payload) => received.push({ from, text: Buffer.from(payload).toString('utf8') }));
  return received;
}

export interface RawPeerOptions {
  /** Member index claimed in the hello. */
  as: number;
  /** Key that signs the handshake proof; a stranger signs with its own. */
  seed: Uint8Array;
  acceptor: number;
  chainId: Uint8Array;
}

/**
 * A hand-driven peer socket that speaks the handshake itself, so tests can send frames no
 * correct transport would ever produce.
 */
export class RawPeer {
  private sequence = 0n;
  private keys: LinkKeys | undefined;
  readonly closed: Promise<void>;
  messagesReceived = 0;

  private constructor(
    readonly socket: WebSocket,
    readonly nonce: Uint8Array,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('message', () => (this.messagesReceived += 1));
  }

  /** `nonce` defaults to a fresh session; pass an earlier peer's to pose as the same session. */
  static async connect(url: string, nonce: Uint8Array = new Uint8Array(randomBytes(SESSION_NONCE_LENGTH))): Promise<RawPeer> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const peer = new RawPeer(socket, nonce);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return peer;
  }

  /** Runs the dialer side of the handshake and derives the link keys; resolves when the proof is sent. */
  async authenticate(options: RawPeerOptions): Promise<void> {
    const ephemeral = generateEphemeralKey();
    const challenge = new Uint8Array(randomBytes(CHALLENGE_LENGTH));
    const hello: Hello = { chainId: options.chainId, dialer: options.as, acceptor: options.acceptor, nonce: this.nonce, challenge, ephemeralKey: ephemeral.publicKey };
    const welcomeBytes = new Promise<Uint8Array>((resolve) => this.socket.once('message', (data) => resolve(data as Buffer)));
    this.socket.send(encodeHello(hello));
    const welcome = decodeWelcome(await welcomeBytes);
    const transcript = transcriptHash({ hello, welcome });
    this.keys = deriveLinkKeys(sharedSecret(ephemeral.privateKey, welcome.ephemeralKey), transcript, 'dialer');
    this.socket.send(encodeProof(signTranscript(options.seed, 'dialer', transcript)));
  }

  /**
   * A frame as member `sender` of `chainId` would seal it on this link, with any field
   * overridden; another `sendKey` forges its MAC.
   */
  frame(fields: Partial<FrameFields> & Pick<FrameFields, 'chainId' | 'sender' | 'recipient'>, sendKey: KeyObject = this.keys!.send): Buffer {
    this.sequence += 1n;
    const sealed = sealFrame({
      sessionNonce: this.nonce,
      sequence: this.sequence,
      timestampMs: BigInt(Date.now()),
      payload: Buffer.from(`frame ${this.sequence}`),
      ...fields,
    });
    return tagFrame(sealed, sendKey);
  }

  send(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  async close(): Promise<void> {
    this.socket.terminate();
    await this.closed;
  }
}
