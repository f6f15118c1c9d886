import { expect } from 'chai';
import { join } from 'node:path';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

/**
 * OPERATOR.md's restore rule, kept by the member rather than by the operator's care: a database
 * restored from a backup older than the member's last votes, or an empty one, does not remember
 * what the member signed at the height still being decided.
 */
describe('a member started on a database that has forgotten its last votes', function () {
  this.timeout(360_000);
  let net: TestNetwork;

  before(async () => {
    net = await startTestNetwork(5);
  });
  after(() => net?.stop());

  const heardFrom = async (at: number, member: number) => (await (await fetch(`${net.clients[at]!.baseUrl}/consensus/heard/${member}`)).json()) as { height: number; messages: string[] };
  const evidence = async (at: number) => ((await (await fetch(`${net.clients[at]!.baseUrl}/evidence`)).json()) as { evidence: unknown[] }).evidence;
  const stop = async (index: number) => {
    net.network.members[index]!.process.kill('SIGTERM');
    await net.network.members[index]!.exited;
  };

  it('stops naming the height while the others have not finalized it, and once they have, catches up and signs again without signing twice', async () => {
    const chainId = net.genesis.chainId;
    await net.clients[0]!.waitForFinal(await net.clients[0]!.submit(issuance(chainId, testWallet(), 5n).tx), { timeoutMs: 30_000 });
    // Three of five cannot finalize (k = 4): the height stays open with member 2's votes in it.
    await stop(3);
    await stop(4);
    const open = (await net.clients[0]!.status()).height + 1;
    const txid = await net.clients[0]!.submit(issuance(chainId, testWallet(), 6n).tx);
    await eventually('members 0 and 1 holding what member 2 signed at the open height', async () => {
      const heard = await Promise.all([heardFrom(0, 2), heardFrom(1, 2)]);
      return heard.every((answer) => answer.height === open && answer.messages.length > 0);
    });
    await stop(2);

    const empty = await freshDatabase('member_2_empty');
    try {
      const config = join(memberDir(net.network.dataDir, 2), 'config.json');
      const refused = await runCli(['member', 'start', '--config', config], { env: { DATABASE_URL: empty.url } });
      const holders = [0, 1].map((index) => net.genesis.file.members[index]!.name).join(', ');
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(
        new RegExp(
          `^strongbox: databaseUrl: the member's database does not hold what member 2 signed at height ${open} \\(round \\d+ (proposal|prevote|precommit)(, round \\d+ (proposal|prevote|precommit))*\\), which ${holders} received: ` +
            `it was restored from a backup older than the member's last votes, or is empty, while height ${open} is not final; signing there again could sign two blocks at one height\\. ` +
            `Start it once the other members are past height ${open} \\(height in their /status\\), or on a newer backup\\n$`,
        ),
      );
      expect(await Promise.all([evidence(0), evidence(1)])).to.deep.equal([[], []]);

      // With members 3 and 4 back, four finalize the open height without member 2.
      net.network.restartMember(3);
      net.network.restartMember(4);
      expect((await net.clients[0]!.waitForFinal(txid, { timeoutMs: 60_000 })).height).to.be.at.least(open);
      net.network.restartMember(2, { DATABASE_URL: empty.url });
      await eventually('member 2 at the tip, from an empty database', async () => (await net.clients[2]!.status()).height >= open, 60_000);
      // With member 4 away again, no block is final without member 2's signature.
      await stop(4);
      const later = await net.clients[2]!.submit(issuance(chainId, testWallet(), 7n).tx);
      const final = await net.clients[0]!.waitForFinal(later, { timeoutMs: 30_000 });
      const block = (await (await fetch(`${net.clients[0]!.baseUrl}/blocks/${final.height}`)).json()) as { commit: { signers: number[] } };
      expect(block.commit.signers).to.deep.equal([0, 1, 2, 3]);
      expect(await Promise.all([0, 1, 2, 3].map(evidence))).to.deep.equal([[], [], [], []]);
    } finally {
      await stop(2);
      await empty.drop();
    }
  });
});
