import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';

// A member the local network starts holds an IPC channel to it, its lifeline. On SIGTERM (Ctrl-C
// on `strongbox up`) it must stop and exit by itself, not wait for the network's kill once the
// grace period is over.
describe('a member started by the local network, on SIGTERM', function () {
  this.timeout(120_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork(3);
  });

  after(() => net?.stop());

  it('stops and exits by itself with code 0', async () => {
    const members = net.network.members;
    const exits = members.map((member) => member.exited);
    for (const member of members) member.process.kill('SIGTERM');
    // A member that kept listening to its lifeline after stopping would live on until killed,
    // and this would wait for the test's timeout.
    expect(await Promise.all(exits)).to.deep.equal(members.map(() => 0));
    for (const index of members.keys()) {
      const log = readFileSync(join(net.network.dataDir, `member-${index}`, 'member.log'), 'utf8');
      expect(log).to.include('"msg":"member stopped"');
    }
  });
});
