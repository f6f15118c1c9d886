import { expect } from 'chai';
import { connect, createServer } from 'node:net';
import { refusedPorts } from '../helpers/refused-port.ts';

/** How a connection to 127.0.0.1:`port` ends: its error's code, or 'connected'. */
function connectionTo(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
  });
}

/** How a listen on `host`:`port` ends (undefined: every address): its error's code, or 'listening'. */
function listenOn(port: number, host?: string): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen(port, host, () => server.close(() => resolve('listening')));
  });
}

describe('ports that refuse every connection (test helper)', () => {
  it('are distinct, refuse connections, and cannot be listened on by anyone else while the test runs', async () => {
    const ports = await refusedPorts(3);
    expect(new Set(ports).size).to.equal(3);
    for (const port of ports) {
      expect(await connectionTo(port), `a connection to ${port}`).to.equal('ECONNREFUSED');
      // Another program listening there (on 127.0.0.1, or on every address) would answer the test's connections.
      for (const host of ['127.0.0.1', '0.0.0.0', undefined]) expect(await listenOn(port, host), `a listen on ${host ?? 'every address'}:${port}`).to.equal('EADDRINUSE');
      expect(await connectionTo(port), `a connection to ${port} after the listens`).to.equal('ECONNREFUSED');
    }
  });
});
