import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:net';

/** Ports below this one need privileges to listen on. */
const UNPRIVILEGED_PORT_FLOOR = 1024;
/** How far below the ephemeral range listeners are chosen: room enough that random choices seldom meet. */
const LISTENER_RANGE_WIDTH = 12_000;

/**
 * The ports a listener is chosen from: below the kernel's ephemeral range, which outgoing
 * connections are given ports from. A port chosen in that range and let go until its service
 * listens can meanwhile become the local end of someone's connection (a member's own connections
 * to Postgres and its peers, at start), and the service then cannot listen. Bitcoin Core's
 * functional tests choose their ports below that range for the same reason. Undefined where the
 * range cannot be read (not Linux) or leaves too little below it: the kernel chooses then.
 */
function listenerPortRange(): { min: number; max: number } | undefined {
  let ephemeralLow: number;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
  const min = Math.max(UNPRIVILEGED_PORT_FLOOR, ephemeralLow - LISTENER_RANGE_WIDTH);
  return Number.isInteger(ephemeralLow) && ephemeralLow - min >= 4_000 ? { min, max: ephemeralLow - 1 } : undefined;
}

const LISTENER_PORTS = listenerPortRange();
/** Ports tried at random in that range before the kernel is asked, each taken only if free. */
const RANGE_ATTEMPTS = 50;

function listenOn(port: number): Promise<{ server: Server; port: number }> {
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

/** A free port below the ephemeral range where there is one, else any the kernel gives. */
async function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  if (LISTENER_PORTS) {
    for (let attempt = 0; attempt < RANGE_ATTEMPTS; attempt++) {
      const found = await listenOn(randomInt(LISTENER_PORTS.min, LISTENER_PORTS.max + 1)).catch(() => undefined);
      if (found) return found;
    }
  }
  return listenOn(0);
}

/**
 * Finds `count` distinct free TCP ports on 127.0.0.1, the `preferred` ones where they are free
 * (0 for none), the others below the ephemeral range where there is room. Each is held until all are
 * found: a port released at once can be handed out again by the next request, which once gave a
 * member the same port for its API and its peers.
 */
export async function findFreePorts(count: number, preferred: readonly number[] = []): Promise<number[]> {
  const held: { server: Server; port: number }[] = [];
  try {
    // A preferred port (the one a restarted service had before) is kept when it is still free.
    for (let i = 0; i < count; i++) {
      const port = preferred[i];
      held.push(await (port ? listenOn(port).catch(() => listenOnFreePort()) : listenOnFreePort()));
    }
    return held.map(({ port }) => port);
  } finally {
    await Promise.all(held.map(({ server }) => new Promise((resolve) => server.close(resolve))));
  }
}

/** A free TCP port on 127.0.0.1, below the ephemeral range where there is room. */
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
