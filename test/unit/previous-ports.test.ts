import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptPort, previousPorts } from '../../federation/local-network/previous-ports.ts';
import { networkFilePath, writeNetworkFile } from '../../federation/local-network/network-file.ts';
import { findFreePorts } from '../../regtest/free-port.ts';

describe("a local network's ports of its last start", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'strongbox-ports-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the Bitcoin RPC port and password and the Postgres port from the network file, and each member config\'s ports', () => {
    writeNetworkFile(dir, { bitcoinRpcUrl: 'http://strongbox:p%40ss@127.0.0.1:18443', postgres: { port: 5433 }, members: [] });
    for (const [index, ports] of [[8100, 9100], [8101, 9101]].entries()) {
      mkdirSync(join(dir, `member-${index}`));
      writeFileSync(join(dir, `member-${index}`, 'config.json'), JSON.stringify({ api: { port: ports[0] }, peer: { port: ports[1] } }));
    }
    expect(previousPorts(dir, 2)).to.deep.equal({ bitcoin: { port: 18443, password: 'p@ss' }, postgresPort: 5433, members: [8100, 9100, 8101, 9101] });
  });

  it('has none for a new folder, and none of the servers\' for a damaged network file', () => {
    expect(previousPorts(dir, 5)).to.deep.equal({ members: [] });
    writeFileSync(networkFilePath(dir), '{ not json');
    expect(previousPorts(dir, 5)).to.deep.equal({ members: [] });
  });

  it('keeps a port still free, and says which moved when another process took it', async () => {
    const [free] = (await findFreePorts(1)) as [number];
    // Held from the start: a port found free and let go could be taken by another process before this listens on it.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    const said: string[] = [];
    try {
      expect(await keptPort(free, 'the Postgres', (line) => said.push(line))).to.equal(free);
      expect(await keptPort(undefined, 'the Postgres', (line) => said.push(line))).to.equal(undefined);
      expect(await keptPort(taken, 'the Bitcoin RPC', (line) => said.push(line))).to.equal(undefined);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
    expect(said).to.deep.equal([`the Bitcoin RPC port ${taken} of the last start is taken by another process: a free one is used instead, and saved URLs naming ${taken} need the new port`]);
  });
});
