import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { findFreePorts, probeListen } from '../../regtest/free-port.ts';

describe('free ports', () => {
  it('finds distinct ports, each free to listen on afterwards', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).to.equal(20);
    for (const port of ports) await probeListen('127.0.0.1', port);
  });

  // An outgoing connection is given a port of that range, and could take one chosen there before its service listens.
  it('chooses them below the range the kernel gives outgoing connections ports from (Linux)', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (const port of await findFreePorts(20)) expect(port).to.be.within(1024, ephemeralLow - 1);
  });
});

describe('preferred ports', () => {
  it('keeps a preferred port that is free, and finds another for one in use', async () => {
    const [free] = (await findFreePorts(1)) as [number];
    // Held from the start: a port found free and let go could be taken by another process before this listens on it.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const [first, second, third] = (await findFreePorts(3, [free, taken])) as [number, number, number];
      expect(first).to.equal(free);
      expect(second).to.not.equal(taken);
      expect(new Set([first, second, third]).size).to.equal(3);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
