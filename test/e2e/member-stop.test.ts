import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { restartMember } from '../helpers/faults.ts';

// A member the local network starts holds an IPC channel to it, its lifeline. On SIGTERM (Ctrl-C
// on `strongbox up`) it must stop and exit by itself, not wait for the network's kill once the
// grace period is over.
describe('a member started by the local network, on SIGTERM', function () {
  this.timeout(120_000);
  let net: TestNetwork;
  const logFile = (index: number) => join(net.network.dataDir, `member-${index}`, 'member.log');
  /** What member `index` logged from byte `from` on. */
  const loggedSince = (index: number, from: number) => readFileSync(logFile(index)).subarray(from).toString('utf8');

  before(async () => {
    net = await startTestNetwork(3);
  });

  after(() => net?.stop());

  it('while it waits on its peers to start, stops at once with code 0, and starts again on its database', async () => {
    const members = net.network.members;
    members[0]!.process.kill('SIGTERM');
    expect(await members[0]!.exited).to.equal(0);
    // Paused peers accept its connections and answer nothing: once its chain is loaded, its start
    // waits on them (10 s a peer to catch up, then the check of its votes).
    for (const peer of [1, 2]) members[peer]!.process.kill('SIGSTOP');
    try {
      const from = statSync(logFile(0)).size;
      const starting = net.network.restartMember(0);
      await eventually('member 0 loading its chain', async () => loggedSince(0, from).includes('"msg":"chain loaded"'), 60_000);
      const asked = Date.now();
      starting.process.kill('SIGTERM');
      expect(await starting.exited).to.equal(0);
      expect(Date.now() - asked).to.be.below(5_000);
      const lines = loggedSince(0, from).trim().split('\n');
      expect(lines.at(-1)).to.include('"msg":"member stopped while starting"');
    } finally {
      for (const peer of [1, 2]) members[peer]!.process.kill('SIGCONT');
    }
    await restartMember(net, 0);
    await eventually('member 0 linked to both others at their height', async () => {
      const [own, other] = await Promise.all([net.clients[0]!.status(), net.clients[1]!.status()]);
      return own.peersConnected.length === 2 && own.height === other.height;
    });
  });

  it('stops and exits by itself with code 0', async () => {
    const members = net.network.members;
    const exits = members.map((member) => member.exited);
    for (const member of members) member.process.kill('SIGTERM');
    // A member that kept listening to its lifeline after stopping would live on until killed,
    // and this would wait for the test's timeout.
    expect(await Promise.all(exits)).to.deep.equal(members.map(() => 0));
    for (const index of members.keys()) {
      const log = readFileSync(logFile(index), 'utf8');
      expect(log).to.include('"msg":"member stopped"');
    }
  });
});
