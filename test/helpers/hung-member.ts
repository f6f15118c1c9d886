import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HungMember {
  url: string;
  /** Settles once a request has arrived. */
  asked: Promise<void>;
  /** Settles once the client has given up its request: aborted it, or timed out. */
  givenUp: Promise<void>;
  close: () => Promise<void>;
}

/**
 * A member that takes the connection and reads the request but never answers, as one paused
 * with SIGSTOP or with its event loop stuck does. `events` hears "<name> asked" and
 * "<name> given up", in the order they happened, beside whatever else a test writes there.
 */
export async function hungMember(name: string, events: string[] = []): Promise<HungMember> {
  const sockets = new Set<Socket>();
  let asked!: () => void;
  let givenUp!: () => void;
  const member: Omit<HungMember, 'url'> = {
    asked: new Promise((resolve) => (asked = resolve)),
    givenUp: new Promise((resolve) => (givenUp = resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((_request, response) => {
    events.push(`${name} asked`);
    asked();
    // Never answered, the response closes only when the client drops the connection.
    response.on('close', () => {
      events.push(`${name} given up`);
      givenUp();
    });
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ...member };
}
