import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genesisPath, memberDir, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { findFreePorts } from '../../regtest/free-port.ts';
import { runCli } from '../helpers/cli.ts';

describe('strongbox member start without its Bitcoin node', function () {
  this.timeout(90_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-no-bitcoin-'));
    chmodSync(dir, 0o755); // the embedded server runs as user postgres when the tests run as root
    runLocalCeremony({ dir, members: 3, bitcoinNetwork: 'regtest' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops with one line naming bitcoin.rpcUrl, and stops the embedded database it had started', async () => {
    const [apiPort, peerPort, bitcoinPort] = (await findFreePorts(3)) as [number, number, number];
    const config = join(dir, 'config.json');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    writeFileSync(
      config,
      JSON.stringify({
        memberIndex: 0,
        keyFile: join(memberDir(dir, 0), 'key.json'),
        genesisFile: genesisPath(dir),
        // No databaseUrl: the member starts a Postgres server of its own under dataDir first.
        dataDir,
        bitcoin: { rpcUrl: `http://nobody:nothing@127.0.0.1:${bitcoinPort}` },
        api: { port: apiPort },
        peer: { port: peerPort },
        peers: [],
      }),
    );
    const result = await runCli(['member', 'start', '--config', config]);
    expect(result.stderr).to.equal(`strongbox: bitcoin.rpcUrl: Bitcoin node at http://127.0.0.1:${bitcoinPort} is unreachable (connection refused)\n`);
    expect(result.code).to.equal(1);
    // The server was started (its cluster exists) and stopped again (a running one holds this file).
    expect(existsSync(join(dataDir, 'postgres', 'cluster', 'PG_VERSION'))).to.equal(true);
    expect(existsSync(join(dataDir, 'postgres', 'cluster', 'postmaster.pid'))).to.equal(false);
  });
});
