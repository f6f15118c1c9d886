import { expect } from 'chai';
import { createServer } from 'node:net';
import { findFreePorts } from '../../regtest/free-port.ts';

describe('free ports', () => {
  it('finds distinct ports, each free to listen on afterwards', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).to.equal(20);
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
