import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { requestSignal } from '../../federation/request-signal.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A server that takes connections and never answers, as a peer paused with SIGSTOP does. */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Fetches while the garbage collector runs every 20 ms: what the request ends with. */
async function fetchUnderCollection(url: string, signal: AbortSignal): Promise<string> {
  const collecting = setInterval(collectGarbage, 20);
  try {
    await fetch(url, { signal });
    return 'answered';
  } catch (error) {
    return (error as Error).name;
  } finally {
    clearInterval(collecting);
  }
}

describe('a request signal', function () {
  this.timeout(10_000);
  let server: Awaited<ReturnType<typeof silentServer>>;
  before(async () => (server = await silentServer()));
  after(() => server.close());

  it('times a request out while the garbage collector runs, with a stop request given', async () => {
    expect(await fetchUnderCollection(server.url, requestSignal(300, new AbortController().signal).signal)).to.equal('TimeoutError');
  });

  it('times a request out without a stop request', async () => {
    expect(await fetchUnderCollection(server.url, requestSignal(300).signal)).to.equal('TimeoutError');
  });

  it('never aborts the signal of a request that has ended, with or without a stop request', async () => {
    const alone = requestSignal(50);
    const withStop = requestSignal(50, new AbortController().signal);
    alone.ended();
    withStop.ended();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect([alone.signal.aborted, withStop.signal.aborted]).to.deep.equal([false, false]);
  });

  it('aborts a request in flight once the stop is requested', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    expect(await fetchUnderCollection(server.url, requestSignal(60_000, stop.signal).signal)).to.equal('AbortError');
  });
});
