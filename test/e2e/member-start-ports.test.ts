import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genesisPath, memberDir, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { findFreePorts } from '../../regtest/free-port.ts';
import { runCli } from '../helpers/cli.ts';

function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('strongbox member start on a port another program holds', function () {
  let dir: string;
  let config: string;
  let apiPort: number;
  let peerPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-ports-'));
    runLocalCeremony({ dir, members: 3, bitcoinNetwork: 'regtest' });
    [apiPort, peerPort] = (await findFreePorts(2)) as [number, number];
    config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        memberIndex: 0,
        keyFile: join(memberDir(dir, 0), 'key.json'),
        genesisFile: genesisPath(dir),
        dataDir: memberDir(dir, 0),
        // Never reached: the ports are checked before the database or Bitcoin is touched.
        databaseUrl: 'postgres://nobody@127.0.0.1:1/member_0',
        bitcoin: { rpcUrl: 'http://nobody:nothing@127.0.0.1:1' },
        api: { port: apiPort },
        peer: { port: peerPort },
        peers: [],
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with one line when the peer host is no address of this machine', async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): no machine has it.
    const elsewhere = join(dir, 'elsewhere.json');
    writeFileSync(elsewhere, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), peer: { host: '192.0.2.1', port: peerPort } }));
    const result = await runCli(['member', 'start', '--config', elsewhere]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`strongbox: peer.port: cannot listen on 192.0.2.1:${peerPort}: this machine has no such address\n`);
  });

  for (const field of ['api', 'peer'] as const) {
    it(`stops at once with one line naming ${field}.port, before opening anything`, async () => {
      const port = field === 'api' ? apiPort : peerPort;
      const holder = await holdPort(port);
      try {
        const result = await runCli(['member', 'start', '--config', config]);
        expect(result.code).to.equal(1);
        expect(result.stderr).to.equal(`strongbox: ${field}.port: cannot listen on 127.0.0.1:${port}: the address is already in use\n`);
      } finally {
        await new Promise((resolve) => holder.close(resolve));
      }
    });
  }
});
