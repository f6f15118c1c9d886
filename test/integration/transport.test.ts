import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ConfigError } from '../../sidechain/errors.ts';
import { PeerTransportError, type PeerTransport } from '../../federation/transport/index.ts';
import { makeFederation, recordMessages, startFederation, startMember, urlOf, waitFor } from './transport-harness.ts';

const MEMBERS = 5;
const everyoneButSelf = (index: number) => [...Array(MEMBERS).keys()].filter((member) => member !== index);

describe('peer transport between federation members', function () {
  let transports: PeerTransport[] = [];
  const federation = makeFederation(MEMBERS);

  beforeEach(async function () {
    // Delivery and order, not the inbound budget (test/integration/transport-rejects.test.ts):
    // a budget that admits the bursts below at once.
    transports = await startFederation(federation, { peerRateLimit: { framesPerSecond: 2_000, bytesPerSecond: 16 * 1024 * 1024 } });
    await waitFor(() => transports.every((transport, index) => transport.connectedPeers().length === MEMBERS - 1), 'full mesh');
  });

  afterEach(async function () {
    await Promise.all(transports.map((transport) => transport.close()));
  });

  it('connects every pair of members with one authenticated connection', function () {
    transports.forEach((transport, index) => expect(transport.connectedPeers()).to.deep.equal(everyoneButSelf(index)));
  });

  it('delivers every broadcast to all other members, tagged with its sender', async function () {
    const inboxes = transports.map(recordMessages);
    transports.forEach((transport, index) => transport.broadcast(Buffer.from(`hello from ${index}`)));
    await waitFor(() => inboxes.every((inbox) => inbox.length === MEMBERS - 1), 'all broadcasts');
    inboxes.forEach((inbox, index) => {
      const expected = everyoneButSelf(index).map((from) => ({ from, text: `hello from ${from}` }));
      expect([...inbox].sort((a, b) => a.from - b.from)).to.deep.equal(expected);
    });
    transports.forEach((transport) => {
      expect(transport.stats().sent).to.equal(MEMBERS - 1);
      expect(transport.stats().received).to.equal(MEMBERS - 1);
    });
  });

  it('delivers a direct send to its recipient only', async function () {
    const inboxes = transports.map(recordMessages);
    transports[1]!.send(3, Buffer.from('for 3 only'));
    transports[4]!.send(0, Buffer.from('for 0 only'));
    await waitFor(() => inboxes[3]!.length === 1 && inboxes[0]!.length === 1, 'direct messages');
    // A broadcast afterwards proves the other links were live while the direct sends were not seen there.
    transports[2]!.broadcast(Buffer.from('marker'));
    await waitFor(() => inboxes.every((inbox, index) => index === 2 || inbox.some((message) => message.text === 'marker')), 'marker');
    expect(inboxes[3]).to.deep.equal([{ from: 1, text: 'for 3 only' }, { from: 2, text: 'marker' }]);
    expect(inboxes[0]).to.deep.equal([{ from: 4, text: 'for 0 only' }, { from: 2, text: 'marker' }]);
    for (const index of [1, 4]) expect(inboxes[index]).to.deep.equal([{ from: 2, text: 'marker' }]);
  });

  it('keeps message order per sender at thousands of messages', async function () {
    const inbox = recordMessages(transports[4]!);
    const count = 3_000;
    for (let sequence = 0; sequence < count; sequence++) transports[0]!.send(4, Buffer.from(String(sequence)));
    await waitFor(() => inbox.length === count, `${count} messages`);
    expect(inbox.map((message) => Number(message.text))).to.deep.equal([...Array(count).keys()]);
    expect(transports[4]!.stats().dropped.replayed).to.equal(0);
  });

  it('reconnects a member restarted on the same port, in both directions', async function () {
    const port = transports[2]!.port;
    await transports[2]!.close();
    await waitFor(() => transports.every((transport, index) => index === 2 || !transport.connectedPeers().includes(2)), 'member 2 seen down');

    transports[0]!.send(2, Buffer.from('lost'));
    expect(transports[0]!.stats().dropped['peer-disconnected']).to.equal(1);

    const urls = transports.map((transport) => urlOf(transport));
    transports[2] = await startMember(federation, 2, urls, { port, reconnectMinMs: 20, reconnectMaxMs: 200 });
    const restarted = transports[2];
    expect(restarted.port).to.equal(port);
    await waitFor(() => transports.every((transport, index) => transport.connectedPeers().length === MEMBERS - 1 || index === -1), 'mesh after restart');

    const inboxes = transports.map(recordMessages);
    restarted.broadcast(Buffer.from('back'));
    transports[0]!.broadcast(Buffer.from('welcome back'));
    await waitFor(() => inboxes[2]!.length === 1 && inboxes.every((inbox, index) => index === 2 || inbox.some((m) => m.text === 'back')), 'traffic after restart');
    expect(inboxes[2]).to.deep.equal([{ from: 0, text: 'welcome back' }]);
  });

  it('drops and counts messages to a peer that is not connected instead of queueing them', async function () {
    await transports[3]!.close();
    await waitFor(() => !transports[1]!.connectedPeers().includes(3), 'member 3 seen down');
    transports[1]!.broadcast(Buffer.from('to whoever is up'));
    transports[1]!.send(3, Buffer.from('to 3'));
    const stats = transports[1]!.stats();
    expect(stats.dropped['peer-disconnected']).to.equal(2);
    expect(stats.sent).to.equal(MEMBERS - 2);
  });

  it('refuses a payload above the limit and a recipient that is not a peer', function () {
    const tooLarge = new Uint8Array(4 * 1024 * 1024 + 1);
    expect(() => transports[0]!.broadcast(tooLarge)).to.throw(PeerTransportError, /exceeds the limit/);
    expect(() => transports[0]!.send(0, Buffer.from('self'))).to.throw(PeerTransportError, /not a peer/);
    expect(() => transports[0]!.send(MEMBERS, Buffer.from('nobody'))).to.throw(PeerTransportError, /not a peer/);
  });
});

const CLOSE_PROBE = fileURLToPath(new URL('./transport-close-probe.ts', import.meta.url));

describe('peer transport lifecycle', function () {
  it('leaves no socket or timer behind after close, so its process can exit', async function () {
    // In a process of its own: sockets of earlier tests closing here would blur the count.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLOSE_PROBE], { timeout: 60_000 });
    const { before, after } = JSON.parse(stdout) as { before: string[]; after: string[] };
    expect(after).to.deep.equal(before);
  });

  it('keeps retrying a member that is down, and connects when it comes up', async function () {
    const federation = makeFederation(2);
    const probe = await startMember(federation, 1, []);
    const port = probe.port;
    await probe.close();
    const lower = await startMember(federation, 0, [undefined, `ws://127.0.0.1:${port}`]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lower.connectedPeers()).to.deep.equal([]);
    const upper = await startMember(federation, 1, [], { port });
    try {
      await waitFor(() => lower.connectedPeers().length === 1 && upper.connectedPeers().length === 1, 'late connection');
    } finally {
      await Promise.all([lower.close(), upper.close()]);
    }
  });

  it('rejects a seed that does not belong to the member index', async function () {
    const federation = makeFederation(2);
    const wrong = { ...federation, keys: [federation.keys[0]!, { ...federation.keys[1]!, seed: federation.keys[0]!.seed }] };
    let error: unknown;
    try {
      await startMember(wrong, 1, []);
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.match(/transport\.seed/);
  });
});
