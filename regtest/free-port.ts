import { createServer, type Server } from 'node:net';

function listenOnFreePort(port = 0): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

/**
 * Asks the kernel for `count` distinct free TCP ports on 127.0.0.1, the `preferred` ones where
 * they are free. Each is held until all are
 * found: a port released at once can be handed out again by the next request, which once gave a
 * member the same port for its API and its peers.
 */
export async function findFreePorts(count: number, preferred: readonly number[] = []): Promise<number[]> {
  const held: { server: Server; port: number }[] = [];
  try {
    // A preferred port (the one a restarted service had before) is kept when it is still free.
    for (let i = 0; i < count; i++) held.push(await listenOnFreePort(preferred[i] ?? 0).catch(() => listenOnFreePort()));
    return held.map(({ port }) => port);
  } finally {
    await Promise.all(held.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  return port!;
}

/** Resolves once a listener could bind `host:port` (and has let it go); rejects with the bind error. */
export function probeListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
