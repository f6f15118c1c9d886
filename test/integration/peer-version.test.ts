import { expect } from 'chai';
import { WebSocketServer, type WebSocket } from 'ws';
import { PeerLinkFailures } from '../../federation/member/peer-link-failures.ts';
import { PeerLinkWarnings } from '../../federation/member/peer-link-warnings.ts';
import { HELLO_REFUSED_CLOSE_CODE, OTHER_VERSION_CLOSE_CODE } from '../../federation/transport/connection.ts';
import { FRAME_VERSION } from '../../federation/transport/frame.ts';
import { encodeHello, type Hello } from '../../federation/transport/handshake.ts';
import { generateEphemeralKey } from '../../federation/transport/link-keys.ts';
import type { PeerTransport } from '../../federation/transport/index.ts';
import type { TransportEvent } from '../../federation/transport/stats.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { makeFederation, RawPeer, startMember, waitFor, type Federation } from './transport-harness.ts';

const MEMBERS = 5;
const TARGET = MEMBERS - 1;

/**
 * Members of two releases on either side of a peer protocol change (version 1 signed every frame,
 * version 2 sends a MAC) cannot connect. During a rolling upgrade the operator must read why in
 * the member's log, rather than see a member linked to nobody and a counter of malformed hellos.
 */
describe('peer protocol versions: a member of another release is named in the log', function () {
  let federation: Federation;
  let member: PeerTransport | undefined;
  let impostor: WebSocketServer | undefined;

  /** Version 1's hello: the same fields as version 2's but for the X25519 key; member 0 dialling the target unless `fields` say otherwise. */
  function versionOneHello(fields: Partial<Hello>): Buffer {
    const current = encodeHello({ chainId: federation.chainId, dialer: 0, acceptor: TARGET, nonce: new Uint8Array(16), challenge: new Uint8Array(32), ephemeralKey: generateEphemeralKey().publicKey, ...fields });
    return Buffer.concat([Buffer.from([1]), current.subarray(1, -32)]);
  }

  beforeEach(() => {
    federation = makeFederation(MEMBERS);
  });

  afterEach(async () => {
    await member?.close();
    member = undefined;
    if (impostor) {
      for (const client of impostor.clients) client.terminate();
      await new Promise((resolve) => impostor!.close(resolve));
      impostor = undefined;
    }
  });

  /** A member whose transport events go through the warnings a member logs, as start-member wires them. */
  async function loggingMember(index: number, urls: readonly (string | undefined)[]) {
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    member = await startMember(federation, index, urls, { onEvent: (event) => warnings.observe(event), reconnectMinMs: 100, reconnectMaxMs: 100 });
    return { lines, member };
  }

  /** An acceptor posing as every higher member that answers each hello as `answer` does. */
  async function acceptorAnswering(answer: (socket: WebSocket) => void): Promise<string> {
    impostor = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => impostor!.once('listening', resolve));
    impostor.on('connection', (socket) => socket.once('message', () => answer(socket)));
    return `ws://127.0.0.1:${(impostor.address() as { port: number }).port}`;
  }

  it('an acceptor refuses the hello of a version-1 member, tells it its own version in the close, and logs the version and address', async function () {
    const { lines, member } = await loggingMember(TARGET, []);
    const raw = await RawPeer.connect(`ws://127.0.0.1:${member.port}`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => raw.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    raw.send(versionOneHello({}));
    expect(await closed).to.deep.equal({ code: OTHER_VERSION_CLOSE_CODE, reason: String(FRAME_VERSION) });
    expect(raw.messagesReceived).to.equal(0);
    expect(member.stats().dropped['handshake-version']).to.equal(1);
    expect(lines.map(({ msg, reason, peerVersion, address, claimedMember }) => ({ msg, reason, peerVersion, address, claimedMember }))).to.deep.equal([
      {
        msg: "a peer speaks another peer protocol version than this member's 2, so they cannot connect: it runs another Strongbox release; upgrade the members together across a peer protocol change (OPERATOR.md, Upgrading)",
        reason: 'a peer connecting from 127.0.0.1 that says it is member 0 speaks peer protocol version 1',
        peerVersion: 1,
        address: '127.0.0.1',
        claimedMember: 0,
      },
    ]);
  });

  it('an acceptor takes the member a hello of another version names only when it names this chain, this member and a member that may dial it', async function () {
    const events: TransportEvent[] = [];
    member = await startMember(federation, TARGET, [], { onEvent: (event) => events.push(event) });
    const hellos = [
      versionOneHello({}),
      versionOneHello({ dialer: 3 }),
      versionOneHello({ chainId: new Uint8Array(32).fill(7) }),
      versionOneHello({ acceptor: 3 }),
      // Itself, and no member at all: neither may dial it.
      versionOneHello({ dialer: TARGET }),
      versionOneHello({ dialer: 9 }),
      // Too short to name anyone.
      Buffer.from([1, 1, 0, 0]),
    ];
    for (const hello of hellos) {
      const raw = await RawPeer.connect(`ws://127.0.0.1:${member.port}`);
      raw.send(hello);
      await raw.closed;
    }
    const claims = events.flatMap((event) => (event.type === 'other-version' ? [event.claimedMember] : []));
    expect(claims).to.deep.equal([0, 3, undefined, undefined, undefined, undefined, undefined]);
  });

  it('a dialling member told by an acceptor that it speaks a later version logs which member and which version, once an interval', async function () {
    const url = await acceptorAnswering((socket) => socket.close(OTHER_VERSION_CLOSE_CODE, String(FRAME_VERSION + 1)));
    const { lines, member } = await loggingMember(3, [undefined, undefined, undefined, undefined, url]);
    await waitFor(() => member.stats().dropped['handshake-version'] >= 3, 'three refused dials');
    expect(member.connectedPeers()).to.deep.equal([]);
    expect(member.stats().dropped['handshake-refused']).to.equal(0);
    expect(lines.map(({ peer, reason }) => ({ peer, reason }))).to.deep.equal([{ peer: 4, reason: `member 4 speaks peer protocol version ${FRAME_VERSION + 1}` }]);
  });

  it('a dialling member whose hello is met by a bare close, as a version-1 member answers it, logs that the member refuses its hello', async function () {
    const url = await acceptorAnswering((socket) => socket.terminate());
    const { lines, member } = await loggingMember(3, [undefined, undefined, undefined, undefined, url]);
    await waitFor(() => member.stats().dropped['handshake-refused'] >= 2, 'two refused dials');
    expect(member.connectedPeers()).to.deep.equal([]);
    expect(lines).to.have.length(1);
    expect(lines[0]!.peer).to.equal(4);
    expect(lines[0]!.msg).to.match(/^a member closed the peer connection at this member's hello without answering: it runs a release of another peer protocol version/);
  });

  it('an acceptor of this release names its refusal of a hello in the close, and the dialer says it in its log and its status', async function () {
    const { member: acceptor } = await loggingMember(TARGET, []);
    const raw = await RawPeer.connect(`ws://127.0.0.1:${acceptor.port}`);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => raw.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    raw.send(encodeHello({ chainId: new Uint8Array(32).fill(7), dialer: 0, acceptor: TARGET, nonce: new Uint8Array(16), challenge: new Uint8Array(32), ephemeralKey: generateEphemeralKey().publicKey }));
    expect(await closed).to.deep.equal({ code: HELLO_REFUSED_CLOSE_CODE, reason: 'handshake-wrong-chain' });
    expect(acceptor.stats().dropped['handshake-wrong-chain']).to.equal(1);
    // A member of another federation (another chain) dials it.
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    const failures = new PeerLinkFailures([{ memberIndex: TARGET, url: `ws://127.0.0.1:${acceptor.port}` }], Date.now());
    const dialer = await startMember(makeFederation(MEMBERS), 3, [undefined, undefined, undefined, undefined, `ws://127.0.0.1:${acceptor.port}`], {
      onEvent: (event) => {
        warnings.observe(event);
        failures.observe(event, Date.now());
      },
      reconnectMinMs: 100,
      reconnectMaxMs: 100,
    });
    try {
      await waitFor(() => dialer.stats().dropped['handshake-refused'] >= 2, 'two refused dials');
      expect(failures.down([]).map(({ code, reason }) => ({ code, reason }))).to.deep.equal([
        { code: 'handshake-refused', reason: "refuses this member's hello as one of another chain: one of the two runs with another genesis file" },
      ]);
      expect(lines.map(({ peer, acceptorSaid, reason }) => ({ peer, acceptorSaid, reason }))).to.deep.equal([{ peer: TARGET, acceptorSaid: 'handshake-wrong-chain', reason: `member ${TARGET} refused the hello: handshake-wrong-chain` }]);
    } finally {
      await dialer.close();
    }
  });

  it('members of the same version connect and log nothing of versions', async function () {
    const { lines: acceptorLines, member: acceptor } = await loggingMember(TARGET, []);
    const { lines, log } = capturedLog();
    const warnings = new PeerLinkWarnings(log, 60_000);
    const dialer = await startMember(federation, 3, [undefined, undefined, undefined, undefined, `ws://127.0.0.1:${acceptor.port}`], { onEvent: (event) => warnings.observe(event) });
    try {
      await waitFor(() => dialer.connectedPeers().includes(TARGET), 'member 3 linked to member 4');
      expect([...lines, ...acceptorLines]).to.deep.equal([]);
      expect(acceptor.stats().dropped['handshake-version']).to.equal(0);
    } finally {
      await dialer.close();
    }
  });
});
