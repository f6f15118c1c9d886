import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyInUseCheck, KeyInUseError } from '../../federation/member/key-in-use.ts';
import { StoppedWhileStartingError } from '../../federation/member/stop-request.ts';
import { testFederation } from '../helpers/genesis.ts';

const ME = 2;
const { genesis } = testFederation(5);
const chainId = Buffer.from(genesis.chainId).toString('hex');

/** The reason a promise rejects with; fails if it resolves. */
const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('resolved'),
    (error: unknown) => error,
  );

describe('the key question asked beside the start steps that sign nothing', function () {
  this.timeout(30_000);
  const servers: Server[] = [];
  let apiUrls: string[] = [];
  /** Whether the peers list this member among their links, as they do while another process holds its key. */
  let linked = false;
  /** Each /status asked, once it has come in. */
  const asked: (() => void)[] = [];

  before(async () => {
    apiUrls = await Promise.all(
      [0, 1, 3, 4].map(async () => {
        const server = createServer((request, response) => {
          asked.splice(0).forEach((heard) => heard());
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ chainId, peersConnected: linked ? [ME] : [] }));
        });
        servers.push(server);
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      }),
    );
  });
  after(() => servers.forEach((server) => server.close()));

  const check = (stopRequested?: AbortSignal) => new KeyInUseCheck({ memberIndex: ME, peerWaitMs: 300, peers: [0, 1, 3, 4].map((memberIndex, i) => ({ memberIndex, url: 'ws://127.0.0.1:1', apiUrl: apiUrls[i]! })) }, genesis, stopRequested);
  const statusAsked = () => new Promise<void>((resolve) => asked.push(resolve));

  it('is out while a step runs, and passes once the peers hold no link from the key', async () => {
    linked = false;
    const question = check();
    // The step ends only once a peer has been asked: the question does not wait for it.
    expect(await question.beside(async () => (await statusAsked(), 'chain loaded'))).to.equal('chain loaded');
    await question.passed();
    expect(question.signal.aborted).to.equal(false);
  });

  it('names a key in use rather than the error of a step that failed meanwhile, and aborts the steps still running', async () => {
    linked = true;
    const question = check();
    const refusal = await rejectionOf(question.beside(() => Promise.reject(new Error('the chain did not load'))));
    expect(refusal).to.be.instanceOf(KeyInUseError);
    expect((refusal as Error).message).to.match(/^keyFile: member 2's key is in use by another running process: member-0, member-1, member-3, member-4 still hold a link from it after 0.3 s/);
    expect(question.signal.aborted).to.equal(true);
    expect(await rejectionOf(question.passed())).to.equal(refusal);
  });

  it("gives a step's own error once the key has passed", async () => {
    linked = false;
    const failed = new Error('the chain did not load');
    expect(await rejectionOf(check().beside(() => Promise.reject(failed)))).to.equal(failed);
  });

  it('ends on a stop asked while nobody waits for its answer, with no unhandled rejection, and says the start was stopped once asked', async () => {
    linked = true;
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const stop = new AbortController();
      const question = check(stop.signal);
      await statusAsked();
      stop.abort();
      expect(question.signal.aborted).to.equal(true);
      // Past the peers' wait: a question left running would have refused by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(unhandled).to.deep.equal([]);
      expect(await rejectionOf(question.passed())).to.be.instanceOf(StoppedWhileStartingError);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
