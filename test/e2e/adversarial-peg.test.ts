import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freshBundle } from '../../bin/cli-bundle.js';
import { spawnNodeChild } from '../../federation/local-network/child-processes.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { seededRandom } from '../helpers/consensus-sim.ts';
import { anyTestFailed, faultSeed, followLogs, killMember, memberAnswering, restartMember, stopKeepingFolderOnFailure, submitUntilFinal } from '../helpers/faults.ts';
import { invariantChecker, type InvariantChecker } from '../helpers/invariant-facts.ts';
import { eventually, startTestNetwork, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { burnFrom, fundedWallets } from '../helpers/peg-workload.ts';
import { runCli } from '../helpers/cli.ts';
import { ADVERSARY_SCRIPT, TAMPERINGS, type Tampering } from '../helpers/tampering.ts';
import { issuance, testWallet, type TestWallet } from '../helpers/transactions.ts';

const ADVERSARY_SOURCE = fileURLToPath(new URL('../helpers/tampering-member.ts', import.meta.url));
const ADVERSARY = 4;

/** What each honest member says when it refuses the tampered settlement. */
const REFUSALS: Record<Tampering, RegExp> = {
  'pay-self': /output 0 does not pay the destination of burn/,
  underpay: /change is \d+ sats, must be exactly \d+/,
  'no-change': /change is 0 sats, must be exactly \d+/,
  'change-to-self': /the change does not return to the escrow/,
  'unknown-burn': /no burn [0-9a-f]{64}/,
};

/**
 * Members that hold real keys and misbehave, and a member whose own database lies, against the
 * peg-out path of five member processes. The honest members must refuse every bent settlement
 * before any Bitcoin signature exists, pay every real burn exactly once and as burned, and keep
 * the chain going; the invariant checker and `strongbox audit` judge the books afterwards.
 */
describe('adversarial members and a corrupt store against peg-outs on five member processes', function () {
  this.timeout(600_000);
  let net: TestNetwork;
  let checker: InvariantChecker;
  let burner: TestWallet;
  /** Whether member 4 runs as an adversary rather than as itself. */
  let adversaryRunning = false;
  /** What node runs for an adversary: a bundle of its sources, as the members run the strongbox command's (bin/cli-bundle.js). */
  let adversaryEntry: string[];

  before(async () => {
    // Through tsx's loader an adversary's start took twice the CPU of a member's from the bundle.
    const bundle = await freshBundle({ root: fileURLToPath(new URL('../..', import.meta.url)), entry: ADVERSARY_SOURCE, cacheDir: fileURLToPath(new URL('../../node_modules/.cache/strongbox-bundles/', import.meta.url)) });
    adversaryEntry = bundle ? ['--enable-source-maps', fileURLToPath(bundle)] : ['--import', 'tsx', ADVERSARY_SOURCE];
    // What is checked is each bent settlement refused and each burn paid once, not how burns are batched.
    net = await startTestNetwork(5, { memberEnv: UNBATCHED_PEGOUTS });
    checker = invariantChecker(net);
    // Reserves large enough that no batch here trips the circuit breaker (a quarter of the reserves per hour) unless meant to;
    // the same wallet pays every tampering case's burns.
    burner = (await fundedWallets(net, 1, 50_000_000n))[0]!;
  });
  after(function () {
    return stopKeepingFolderOnFailure(net, anyTestFailed(this.test?.parent));
  });

  const memberFolder = (index: number) => join(net.network.dataDir, `member-${index}`);

  /** Member 4 replaced by the tampering member (same config and keys), counted by the network like any member. */
  async function startAdversary(tampering: Tampering): Promise<void> {
    await killMember(net, ADVERSARY);
    const adversary = spawnNodeChild(`member-${ADVERSARY}`, [...adversaryEntry, join(memberFolder(ADVERSARY), 'config.json')], {
      logFile: join(memberFolder(ADVERSARY), 'member.log'),
      env: { ...net.memberEnv, STRONGBOX_TEST_TAMPER: tampering },
    });
    net.network.members[ADVERSARY] = adversary;
    adversaryRunning = true;
    // For as long as it runs: its start is CPU-bound, 2.4-2.9 s of CPU through tsx that took 22-25 s
    // at a load average of 36-39 and 264-271 s at 57-91 (TESTING.md, 2026-12-07).
    await memberAnswering(net, ADVERSARY, adversary);
  }

  /** Member 4 as itself again, if an adversary took its place: each tampering case replaces whatever runs there with its own. */
  async function restoreHonestMember(): Promise<void> {
    if (!adversaryRunning) return;
    await killMember(net, ADVERSARY);
    await restartMember(net, ADVERSARY);
    adversaryRunning = false;
  }

  /** Advances the chain with small issuances until the block after the next one is the adversary's to propose (round 0). */
  async function alignAdversaryAsNextProposer(random: () => number): Promise<void> {
    for (;;) {
      const heights = await Promise.all(net.clients.map(async (client) => (await client.status()).height));
      const tip = Math.max(...heights);
      if (heights.every((height) => height === tip) && (tip + 2) % 5 === ADVERSARY) return;
      await submitUntilFinal(net, issuance(net.genesis.chainId, testWallet(), 1n).tx, random);
    }
  }

  for (const tampering of TAMPERINGS) {
    it(`refuses a settlement proposed with ${tampering}: no signature, nothing paid to the proposer, the burn paid once as burned`, async () => {
      const random = seededRandom(faultSeed(`tampering ${tampering}`));
      await startAdversary(tampering);
      const proposed = new Set<string>();
      const refusals: { member: number; message: string; withStack: boolean }[] = [];
      const logs = followLogs(net, (member, line) => {
        if (member === ADVERSARY && line.msg === 'adversary: proposing a tampered settlement') proposed.add(line.bitcoinTxid as string);
        if (member !== ADVERSARY && line.msg === 'refused a proposed block') refusals.push({ member, message: String(line.reason), withStack: line.err !== undefined });
      });
      try {
        // Anchors and mints may also take heights, so the adversary's turn can be missed: another burn, another try.
        for (let attempt = 1; !refusals.some((refusal) => REFUSALS[tampering].test(refusal.message)); attempt++) {
          if (attempt > 4) throw new Error(`no refusal of a ${tampering} proposal after 4 burns; proposed ${[...proposed].join(', ') || 'nothing'}; refusals ${JSON.stringify(refusals)}`);
          await alignAdversaryAsNextProposer(random);
          const burnTxid = await submitUntilFinal(net, (await burnFrom(net, burner, 50_000n)).tx, random);
          await eventually('the burn settled, or the tampering refused', async () => refusals.some((refusal) => REFUSALS[tampering].test(refusal.message)) || (await net.clients[0]!.burnStatus(burnTxid)).bitcoinTxid !== undefined, 60_000);
        }
      } finally {
        logs.stop();
      }
      expect(proposed.size, 'tampered proposals').to.be.greaterThan(0);
      expect(refusals.filter((refusal) => !REFUSALS[tampering].test(refusal.message)), 'every refusal names the tampering').to.deep.equal([]);
      expect(refusals.filter((refusal) => refusal.withStack), 'refusals logged with a stack, as a bug would be').to.deep.equal([]);

      const facts = await checker.settleAndAssert(`after ${tampering}`);
      const recorded = new Set(facts.settlements.map((settlement) => settlement.bitcoinTxid));
      const known = new Set(facts.bitcoinTxs.map((tx) => tx.txid));
      for (const txid of proposed) {
        expect(recorded.has(txid), `tampered settlement ${txid} recorded`).to.equal(false);
        expect(known.has(txid), `tampered settlement ${txid} on Bitcoin`).to.equal(false);
      }
      const stolen = facts.bitcoinTxs.filter((tx) => tx.outputs.some((output) => output.script === Buffer.from(ADVERSARY_SCRIPT).toString('hex')));
      expect(stolen, 'Bitcoin transactions paying the adversary').to.deep.equal([]);
    });
  }

  it('pays a burn inflated in one member\'s store as it was burned: that member refuses to sign, four others pay it, and its audit fails', async () => {
    await restoreHonestMember();
    const random = seededRandom(faultSeed('corrupt store'));
    // Above the circuit breaker: the burn waits for approval, which gives the corruption time to land before anyone signs.
    const [wallet] = await fundedWallets(net, 1, 20_000_000n);
    const burn = await burnFrom(net, wallet!, 19_000_000n);
    const burnTxid = await submitUntilFinal(net, burn.tx, random);
    if (burn.tx.kind !== 'pegout') throw new Error('not a burn');
    const corrupt = 2;
    const database = new pg.Client({ connectionString: net.network.postgres.connectionString(`member_${corrupt}`) });
    await database.connect();
    const txid = Buffer.from(burnTxid, 'hex');
    const original = (await database.query<{ bytes: Buffer }>('SELECT bytes FROM transactions WHERE txid = $1', [txid])).rows[0]!.bytes;
    const inflated = Buffer.from(encodeTransaction({ ...burn.tx, amount: burn.tx.amount + 1_000_000n }));
    await database.query('UPDATE transactions SET bytes = $2 WHERE txid = $1', [txid, inflated]);
    await database.query('UPDATE pegout_burns SET amount = amount + 1000000 WHERE txid = $1', [txid]);

    const refused: { reason: string; withStack: boolean }[] = [];
    const logs = followLogs(net, (member, line) => {
      if (member === corrupt && line.msg === 'refusing to sign a peg-out') refused.push({ reason: String(line.reason), withStack: line.err !== undefined });
    });
    try {
      // The operators of k members approve, the corrupt one among them; a fifth approval is not
      // needed, and could come after the payment.
      for (let member = 0; member < net.genesis.members.threshold; member++) {
        const approved = await runCli(['pegout', 'approve', burnTxid, '--config', join(memberFolder(member), 'config.json')]);
        expect(approved.code, approved.stderr).to.equal(0);
      }
      const bitcoinTxid = await eventually('the burn bound to a settlement', async () => (await net.clients[0]!.burnStatus(burnTxid)).bitcoinTxid, 90_000);
      // The settlement is recorded before anyone signs: the payment reaches the node once four members have.
      const paid = await eventually('the payment on the Bitcoin node', async () => (await checker.facts()).bitcoinTxs.find((tx) => tx.txid === bitcoinTxid), 90_000);
      await eventually('the member with the corrupt store refused to sign', async () => refused.length > 0, 30_000);
      expect(refused[0]!.reason).to.match(/does not match its certified transaction root/);
      expect(refused[0]!.withStack, 'the refusal logged with a stack, as a bug would be').to.equal(false);
      const view = (await fetch(`${net.network.network.members[0]!.apiUrl}/pegout/settlements/${bitcoinTxid}`).then((r) => r.json())) as { signers: number[][] };
      for (const signers of view.signers) expect(signers, 'signers of each input').to.not.include(corrupt);
      const payment = paid.outputs.find((output) => output.script === Buffer.from(burn.destination).toString('hex'))!;
      expect(payment.value <= 19_000_000n && payment.value > 18_900_000n, `paid ${payment.value} for a burn of 19,000,000`).to.equal(true);

      const audit = await runCli(['audit', '--member', net.network.network.members[corrupt]!.apiUrl, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!]);
      expect(audit.code, 'an audit of the corrupt member fails').to.equal(1);
    } finally {
      logs.stop();
      // The store made honest again whatever happened, so the network stops with its books in order.
      await database.query('UPDATE transactions SET bytes = $2 WHERE txid = $1', [txid, original]);
      await database.query('UPDATE pegout_burns SET amount = amount - 1000000 WHERE txid = $1', [txid]);
      await database.end();
    }
    await checker.settleAndAssert('after the corrupt store', { auditFrom: corrupt });
  });
});
