import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { expect } from 'chai';
import { WebSocketServer } from 'ws';
import { generateKeyPair } from '../../sidechain/ed25519.ts';
import { BROADCAST, FRAME_VERSION, sealFrame, tagFrame } from '../../federation/transport/frame.ts';
import { encodeHello } from '../../federation/transport/handshake.ts';
import { EPHEMERAL_KEY_LENGTH, generateEphemeralKey, MAC_LENGTH } from '../../federation/transport/link-keys.ts';
import type { DropReason, PeerTransport } from '../../federation/transport/index.ts';
import { makeFederation, RawPeer, recordMessages, startMember, waitFor, type Federation } from './transport-harness.ts';

// The member under test has the highest index, so every other member dials it; the raw peers
// below pose as member 0 (or as strangers) and send what a correct member never would.
const MEMBERS = 5;
const TARGET = MEMBERS - 1;
const MAX_MESSAGE_BYTES = 1024;

describe('peer transport rejects bad frames and strangers', function () {
  let federation: Federation;
  let target: PeerTransport;
  let inbox: { from: number; text: string }[];
  let url: string;
  const raws: RawPeer[] = [];

  beforeEach(async function () {
    federation = makeFederation(MEMBERS);
    target = await startMember(federation, TARGET, [], { maxMessageBytes: MAX_MESSAGE_BYTES, maxClockSkewMs: 60_000, handshakeTimeoutMs: 300 });
    inbox = recordMessages(target);
    url = `ws://127.0.0.1:${target.port}`;
  });

  afterEach(async function () {
    await Promise.all(raws.splice(0).map((raw) => raw.close()));
    await target.close();
  });

  async function memberZero(): Promise<RawPeer> {
    const raw = await RawPeer.connect(url);
    raws.push(raw);
    await raw.authenticate({ as: 0, seed: federation.keys[0]!.seed, acceptor: TARGET, chainId: federation.chainId });
    await waitFor(() => target.connectedPeers().includes(0), 'member 0 authenticated');
    return raw;
  }

  function dropsOf(reason: DropReason): number {
    return target.stats().dropped[reason];
  }

  /** Every drop reason other than `reason` stays zero, so a test cannot pass by the wrong check. */
  function expectOnlyDropped(reason: DropReason, count: number): void {
    const dropped = Object.entries(target.stats().dropped).filter(([, value]) => value > 0);
    expect(Object.fromEntries(dropped)).to.deep.equal({ [reason]: count });
  }

  const zeroFields = () => ({ chainId: federation.chainId, sender: 0, recipient: TARGET });
  const badFrames: { name: string; reason: DropReason; frame(raw: RawPeer): Uint8Array | string }[] = [
    { name: 'a MAC under another key', reason: 'bad-mac', frame: (raw) => raw.frame(zeroFields(), forgedKey()) },
    { name: 'a payload altered after sealing', reason: 'bad-mac', frame: (raw) => tamperLastPayloadByte(raw.frame(zeroFields())) },
    { name: 'an unknown sender index', reason: 'unknown-sender', frame: (raw) => raw.frame({ ...zeroFields(), sender: 9 }) },
    { name: 'another member named as its sender', reason: 'sender-mismatch', frame: (raw) => raw.frame({ ...zeroFields(), sender: 1 }) },
    { name: 'another chain', reason: 'wrong-chain', frame: (raw) => raw.frame({ ...zeroFields(), chainId: new Uint8Array(randomBytes(32)) }) },
    { name: 'another recipient', reason: 'wrong-recipient', frame: (raw) => raw.frame({ ...zeroFields(), recipient: 2 }) },
    { name: 'a timestamp outside the window', reason: 'stale', frame: (raw) => raw.frame({ ...zeroFields(), timestampMs: BigInt(Date.now() - 10 * 60_000) }) },
    { name: 'a timestamp from the future', reason: 'stale', frame: (raw) => raw.frame({ ...zeroFields(), timestampMs: BigInt(Date.now() + 10 * 60_000) }) },
    { name: 'a session nonce other than the handshake announced', reason: 'replayed', frame: (raw) => raw.frame({ ...zeroFields(), sessionNonce: new Uint8Array(randomBytes(16)) }) },
    {
      name: 'garbage bytes',
      reason: 'malformed',
      // Random bytes after the version, except the payload length (offset 69), set to more than
      // the bytes that follow: at random, one such frame in 256 had a length that made it decode.
      frame: () => {
        const bytes = Buffer.concat([Buffer.from([FRAME_VERSION]), randomBytes(200)]);
        bytes[69] = 0x7f;
        return bytes;
      },
    },
    { name: 'a truncated frame', reason: 'malformed', frame: (raw) => raw.frame(zeroFields()).subarray(0, 100) },
    { name: 'trailing bytes after the MAC', reason: 'malformed', frame: (raw) => Buffer.concat([raw.frame(zeroFields()), Buffer.from([0])]) },
    { name: 'a text message', reason: 'malformed', frame: () => 'hello' },
    { name: 'the previous version, 1, of signed frames', reason: 'unsupported-version', frame: () => Buffer.concat([Buffer.from([1]), randomBytes(200)]) },
    { name: 'an unknown version', reason: 'unsupported-version', frame: () => Buffer.concat([Buffer.from([FRAME_VERSION + 1]), randomBytes(200)]) },
  ];

  for (const bad of badFrames) {
    it(`drops and counts a frame with ${bad.name} as ${bad.reason}, and keeps the connection`, async function () {
      const raw = await memberZero();
      raw.send(bad.frame(raw));
      raw.send(raw.frame({ ...zeroFields(), payload: Buffer.from('genuine') }));
      await waitFor(() => inbox.length === 1, 'the genuine frame');
      expect(inbox).to.deep.equal([{ from: 0, text: 'genuine' }]);
      expectOnlyDropped(bad.reason, 1);
      expect(target.stats().received).to.equal(1);
    });
  }

  it('drops a replayed frame and a frame with a lower sequence as replayed', async function () {
    const raw = await memberZero();
    const first = raw.frame({ ...zeroFields(), payload: Buffer.from('first') });
    const second = raw.frame({ ...zeroFields(), recipient: BROADCAST, payload: Buffer.from('second') });
    raw.send(second);
    raw.send(first);
    raw.send(second);
    raw.send(raw.frame({ ...zeroFields(), payload: Buffer.from('third') }));
    await waitFor(() => inbox.length === 2, 'the fresh frames');
    expect(inbox.map((message) => message.text)).to.deep.equal(['second', 'third']);
    expectOnlyDropped('replayed', 2);
  });

  /** Member 0 again, on a new connection but in the same session as `earlier`. */
  async function reconnect(earlier: RawPeer): Promise<RawPeer> {
    await earlier.close();
    const again = await RawPeer.connect(url, earlier.nonce);
    raws.push(again);
    await again.authenticate({ as: 0, seed: federation.keys[0]!.seed, acceptor: TARGET, chainId: federation.chainId });
    await waitFor(() => target.connectedPeers().includes(0), 'reconnection');
    return again;
  }

  it('does not reopen the replay window when the same session reconnects', async function () {
    const raw = await memberZero();
    raw.send(raw.frame(zeroFields()));
    await waitFor(() => inbox.length === 1, 'the first delivery');
    // A fresh RawPeer counts from sequence 1 again: the transport must remember it was used.
    const again = await reconnect(raw);
    again.send(again.frame(zeroFields()));
    await waitFor(() => dropsOf('replayed') === 1, 'the replay to be dropped');
    expect(inbox).to.have.length(1);
    expectOnlyDropped('replayed', 1);
  });

  it('drops as bad-mac a frame sealed for an earlier connection of the same member, even one never sent', async function () {
    const raw = await memberZero();
    raw.send(raw.frame({ ...zeroFields(), payload: Buffer.from('first') }));
    await waitFor(() => inbox.length === 1, 'the first delivery');
    // Its sequence is above the window: only the other connection's keys make it fail.
    const unsent = raw.frame({ ...zeroFields(), payload: Buffer.from('unsent') });
    const again = await reconnect(raw);
    again.send(unsent);
    again.send(again.frame({ ...zeroFields(), sequence: 3n, payload: Buffer.from('fresh') }));
    await waitFor(() => inbox.length === 2, 'the fresh frame');
    expect(inbox.map((message) => message.text)).to.deep.equal(['first', 'fresh']);
    expectOnlyDropped('bad-mac', 1);
  });

  it('drops an oversized frame, closes that connection, and accepts the member again', async function () {
    const raw = await memberZero();
    raw.send(raw.frame({ ...zeroFields(), payload: new Uint8Array(MAX_MESSAGE_BYTES * 2) }));
    await raw.closed;
    expectOnlyDropped('oversized', 1);
    const again = await memberZero();
    again.send(again.frame({ ...zeroFields(), payload: Buffer.from('after') }));
    await waitFor(() => inbox.length === 1, 'delivery after reconnecting');
    expect(inbox).to.deep.equal([{ from: 0, text: 'after' }]);
  });

  it('closes the connection of a stranger who claims a member index but cannot sign for it', async function () {
    const stranger = await RawPeer.connect(url);
    raws.push(stranger);
    await stranger.authenticate({ as: 0, seed: generateKeyPair().seed, acceptor: TARGET, chainId: federation.chainId });
    await stranger.closed;
    stranger.send(stranger.frame(zeroFields()));
    expectOnlyDropped('handshake-bad-signature', 1);
    expect(target.connectedPeers()).to.deep.equal([]);
    expect(inbox).to.deep.equal([]);
  });

  it('closes a connection that never completes the handshake', async function () {
    const silent = await RawPeer.connect(url);
    raws.push(silent);
    await silent.closed;
    expectOnlyDropped('handshake-timeout', 1);
  });

  it('holds at most 8 connections of one address in their handshake, and admits a member once they are gone', async function () {
    // Each could buffer a frame of the largest size before authenticating: strangers get few.
    const silent = await Promise.all(Array.from({ length: 8 }, () => RawPeer.connect(url)));
    raws.push(...silent);
    const ninth = await RawPeer.connect(url).catch(() => null);
    if (ninth) {
      raws.push(ninth);
      await ninth.closed;
    }
    expect(dropsOf('inbound-pending')).to.equal(1);
    await Promise.all(silent.map((raw) => raw.closed));
    expect(dropsOf('handshake-timeout')).to.equal(8);
    await memberZero();
  });

  it('closes new connections of one address beyond 5 a second (10 at once), even when each is gone before the next', async function () {
    const started = Date.now();
    for (let i = 0; i < 12; i++) {
      const raw = await RawPeer.connect(url).catch(() => null);
      if (raw) await raw.close();
    }
    await waitFor(() => dropsOf('inbound-rate') > 0, 'a connection refused for the rate');
    const refilled = Math.floor(((Date.now() - started) * 5) / 1000);
    expect(dropsOf('inbound-rate')).to.be.within(2 - refilled, 2);
    expect(dropsOf('inbound-pending')).to.equal(0);
  });

  const badHellos: { name: string; reason: DropReason; hello(): Uint8Array | string }[] = [
    // Random bytes but the second, a message kind no handshake has: at random, one such hello in
    // 256 began with another version and the kind of a hello, as a member of another release's does.
    { name: 'garbage', reason: 'handshake-malformed', hello: () => Buffer.concat([randomBytes(1), Buffer.from([0xff]), randomBytes(38)]) },
    { name: 'text', reason: 'handshake-malformed', hello: () => 'hello' },
    { name: 'a frame instead of a hello', reason: 'handshake-malformed', hello: () => tagFrame(sealFrame({ chainId: federation.chainId, sender: 0, recipient: TARGET, sessionNonce: new Uint8Array(16), sequence: 1n, timestampMs: BigInt(Date.now()), payload: new Uint8Array(8) }), forgedKey()) },
    // Version 1 had the same fields but no X25519 key: a member not yet upgraded is refused.
    { name: 'of version 1', reason: 'handshake-version', hello: () => Buffer.concat([Buffer.from([1]), hello(federation, {}).subarray(1, -EPHEMERAL_KEY_LENGTH)]) },
    { name: 'of a later version', reason: 'handshake-version', hello: () => Buffer.concat([Buffer.from([FRAME_VERSION + 1]), hello(federation, {}).subarray(1)]) },
    { name: 'with an X25519 key of low order (zero)', reason: 'handshake-malformed', hello: () => hello(federation, { ephemeralKey: new Uint8Array(EPHEMERAL_KEY_LENGTH) }) },
    { name: 'with an X25519 key of low order (one)', reason: 'handshake-malformed', hello: () => hello(federation, { ephemeralKey: Uint8Array.from({ length: EPHEMERAL_KEY_LENGTH }, (_, i) => (i === 0 ? 1 : 0)) }) },
    { name: 'another chain', reason: 'handshake-wrong-chain', hello: () => hello(federation, { chainId: new Uint8Array(randomBytes(32)) }) },
    { name: 'a member index outside the federation', reason: 'handshake-unknown-member', hello: () => hello(federation, { dialer: MEMBERS }) },
    { name: 'the wrong acceptor', reason: 'handshake-unknown-member', hello: () => hello(federation, { acceptor: 1 }) },
    { name: 'a member that should be dialled instead', reason: 'handshake-wrong-direction', hello: () => hello(federation, { dialer: TARGET }) },
  ];

  for (const bad of badHellos) {
    it(`closes a connection whose hello is ${bad.name}`, async function () {
      const raw = await RawPeer.connect(url);
      raws.push(raw);
      raw.send(bad.hello());
      await raw.closed;
      expectOnlyDropped(bad.reason, 1);
      expect(raw.messagesReceived).to.equal(0);
    });
  }

  it('a dialling member refuses an acceptor that cannot prove the member key', async function () {
    const impostor = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => impostor.once('listening', resolve));
    impostor.on('connection', (socket) => socket.once('message', () => socket.send(Buffer.concat([Buffer.from([FRAME_VERSION, 2]), randomBytes(16 + 32), generateEphemeralKey().publicKey, randomBytes(64)]))));
    const port = (impostor.address() as { port: number }).port;
    const impostorUrl = `ws://127.0.0.1:${port}`;
    const dialer = await startMember(federation, 0, [undefined, impostorUrl, impostorUrl, impostorUrl, impostorUrl], { reconnectMinMs: 1_000, reconnectMaxMs: 1_000 });
    try {
      await waitFor(() => dialer.stats().dropped['handshake-bad-signature'] >= 1, 'the impostor rejected');
      expect(dialer.connectedPeers()).to.deep.equal([]);
    } finally {
      await dialer.close();
      for (const client of impostor.clients) client.terminate();
      await new Promise((resolve) => impostor.close(resolve));
    }
  });
});

function tamperLastPayloadByte(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  const index = copy.length - MAC_LENGTH - 1;
  copy[index] = copy[index]! ^ 1;
  return copy;
}

function hello(federation: Federation, fields: Partial<Parameters<typeof encodeHello>[0]>): Uint8Array {
  return encodeHello({ chainId: federation.chainId, dialer: 0, acceptor: TARGET, nonce: new Uint8Array(16), challenge: new Uint8Array(32), ephemeralKey: generateEphemeralKey().publicKey, ...fields });
}

/** A link key nobody agreed on: what a forger must use, not knowing the link's. */
function forgedKey(): KeyObject {
  return createSecretKey(randomBytes(32));
}

describe('peer transport inbound budget per member', function () {
  const federation = makeFederation(MEMBERS);
  const fields = (sender: number) => ({ chainId: federation.chainId, sender, recipient: TARGET });
  let target: PeerTransport;
  let inbox: { from: number; text: string }[];
  const raws: RawPeer[] = [];

  beforeEach(async function () {
    // One frame a second: what refills while a test runs is bounded by its measured duration.
    target = await startMember(federation, TARGET, [], { maxMessageBytes: MAX_MESSAGE_BYTES, peerRateLimit: { framesPerSecond: 1, bytesPerSecond: 1_000_000 } });
    inbox = recordMessages(target);
  });

  afterEach(async function () {
    await Promise.all(raws.splice(0).map((raw) => raw.close()));
    await target.close();
  });

  async function member(index: number): Promise<RawPeer> {
    const raw = await RawPeer.connect(`ws://127.0.0.1:${target.port}`);
    raws.push(raw);
    await raw.authenticate({ as: index, seed: federation.keys[index]!.seed, acceptor: TARGET, chainId: federation.chainId });
    await waitFor(() => target.connectedPeers().includes(index), `member ${index} authenticated`);
    return raw;
  }

  it('drops a flooding member\'s frames beyond its budget as rate, before their MACs are checked, while another member is served', async function () {
    const flooder = await member(0);
    const honest = await member(1);
    const started = Date.now();
    for (let i = 0; i < 2; i++) flooder.send(flooder.frame(fields(0)));
    // Forged: were they checked, they would count as bad-mac.
    const flood = 500;
    for (let i = 0; i < flood; i++) flooder.send(flooder.frame(fields(0), forgedKey()));
    honest.send(honest.frame({ ...fields(1), payload: Buffer.from('honest') }));
    await waitFor(() => target.stats().dropped.rate + target.stats().dropped['bad-mac'] === flood && inbox.length === 3, 'the flood and the honest frame');
    const refilled = Math.ceil((Date.now() - started) / 1000);
    expect(inbox.filter((message) => message.from === 0)).to.have.length(2);
    expect(inbox.filter((message) => message.from === 1)).to.deep.equal([{ from: 1, text: 'honest' }]);
    expect(target.stats().dropped['bad-mac'], 'forged frames that reached the MAC check').to.be.at.most(refilled);
    expect(target.stats().dropped.rate).to.be.at.least(flood - refilled);
  });

  it('keeps a member\'s spent budget across its reconnection', async function () {
    const first = await member(0);
    const started = Date.now();
    for (let i = 0; i < 4; i++) first.send(first.frame(fields(0)));
    await waitFor(() => inbox.length + target.stats().dropped.rate === 4, 'the first frames');
    await first.close();
    const again = await member(0);
    again.send(again.frame({ ...fields(0), payload: Buffer.from('after reconnecting') }));
    await waitFor(() => inbox.length + target.stats().dropped.rate === 5, 'the frame after reconnecting');
    const refilled = Math.floor((Date.now() - started) / 1000);
    expect(inbox.length, 'the burst of two, and only what refilled since').to.be.at.most(2 + refilled);
    expect(target.stats().dropped.rate).to.be.at.least(3 - refilled);
  });
});
