import { expect } from 'chai';
import { findFreePorts, probeListen } from '../../regtest/free-port.ts';

describe('free ports', () => {
  it('finds distinct ports, each free to listen on afterwards', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).to.equal(20);
    for (const port of ports) await probeListen('127.0.0.1', port);
  });
});
