import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../../federation/key-file.ts';
import { encodeMessage, signVote } from '../../federation/consensus/index.ts';
import { encodeTransactionBatch } from '../../federation/member/transaction-relay.ts';
import { startPeerTransport, type PeerTransport } from '../../federation/transport/index.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { eventually, startTestNetwork, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { bitcoinOf, burnFrom, fundedWallets } from '../helpers/peg-workload.ts';
import { scrape } from '../helpers/prometheus.ts';
import { issuance, testWallet, type TestWallet } from '../helpers/transactions.ts';

/** The honest members' budget for each peer in this test: far below the flood, far above what an honest member sends here. */
const FRAMES_PER_SECOND = 200;
/** Frames the adversary tries to send every 10 ms: 3,000 a second, fifteen times the budget. */
const FRAMES_PER_TICK = 30;
const REFUSAL_LOG_INTERVAL_MS = 10_000;

const random = (length: number) => new Uint8Array(randomBytes(length));
const tagged = (tag: number, body: Uint8Array) => new Uint8Array([tag, ...body]);

/**
 * Member 4 is replaced by an adversary holding its real key that floods the others with signed
 * frames of every payload kind: consensus votes for heights near and far ahead (each of which
 * would send a member to catch up), undecodable consensus messages, transactions and peg-out
 * signatures, and payloads of no known kind. The four honest members must keep finalizing and
 * paying a burn, drop the excess unread as `rate`, and log refusals as counts, not line by line,
 * naming the member that floods.
 */
describe('a member flooding its peers with signed garbage', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let adversary: PeerTransport | undefined;
  let wallet: TestWallet;

  before(async () => {
    // The one burn is checked once paid: nothing is batched with it.
    net = await startTestNetwork(5, { memberEnv: { ...UNBATCHED_PEGOUTS, STRONGBOX_PEER_RATE_LIMIT: String(FRAMES_PER_SECOND) } });
    // Pegged in while all five are honest; large enough reserves that the burn below is not held.
    wallet = (await fundedWallets(net, 1, 5_000_000n))[0]!;
  });
  after(async () => {
    await adversary?.close();
    await net?.stop();
  });

  function garbage(height: number): Uint8Array[] {
    const keys = readKeyFile(join(net.network.dataDir, 'member-4', 'key.json'));
    return Array.from({ length: 500 }, (_, index) => {
      switch (index % 5) {
        case 0: {
          const vote = signVote(net.genesis.chainId, keys.blockSeed, { type: VoteType.Prevote, height: height + (index % 3) * 1_000, round: index % 7, blockHash: random(32), memberIndex: 4 });
          return tagged(1, encodeMessage(vote));
        }
        case 1:
          return tagged(1, random(1 + (index % 200)));
        case 2: {
          const length = 1 + ((index * 37) % 2_000);
          // Batches that do not decode, and batches of transactions that do not.
          return tagged(4, index % 2 === 0 ? random(length) : encodeTransactionBatch([random(length), random(1 + (index % 100))]));
        }
        case 3:
          return tagged(3, random(1 + ((index * 41) % 2_000)));
        default:
          return tagged(9, random(64));
      }
    });
  }

  const logLines = (member: number) =>
    readFileSync(join(net.network.dataDir, `member-${member}`, 'member.log'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; from?: number; peer?: number; code?: string; repeats?: number });

  it('keeps the honest members finalizing and paying a burn, drops the flood as rate and logs its refusals as counts, naming the member', async () => {
    const config = JSON.parse(readFileSync(join(net.network.dataDir, 'member-4', 'config.json'), 'utf8')) as { peer: { port: number } };
    net.network.members[4]!.process.kill('SIGKILL');
    await net.network.members[4]!.exited;
    adversary = await startPeerTransport({
      chainId: net.genesis.chainId,
      memberIndex: 4,
      seed: readKeyFile(join(net.network.dataDir, 'member-4', 'key.json')).blockSeed,
      members: net.genesis.members.keys.map((publicKey) => ({ publicKey })),
      port: config.peer.port,
    });
    await eventually('the honest members connected to the adversary', async () => adversary!.connectedPeers().length === 4, 30_000);

    const payloads = garbage((await net.clients[0]!.status()).height + 1);
    let next = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < FRAMES_PER_TICK; i++) adversary!.broadcast(payloads[next++ % payloads.length]!);
    }, 10);
    const floodStarted = Date.now();
    try {
      const { rpc, faucet } = bitcoinOf(net);
      const issued = await net.clients[1]!.submit(issuance(net.genesis.chainId, testWallet(), 7n).tx);
      const finals = await Promise.all([0, 1, 2, 3].map((member) => net.clients[member]!.waitForFinal(issued, { timeoutMs: 120_000 })));
      expect(new Set(finals.map((final) => final.height)).size).to.equal(1);

      const burnTxid = await net.clients[2]!.submit((await burnFrom(net, wallet, 100_000n)).tx);
      await net.clients[2]!.waitForFinal(burnTxid, { timeoutMs: 120_000 });
      const bitcoinTxid = await eventually('the burn paid by a Bitcoin transaction of the four honest members', async () => (await net.clients[0]!.burnStatus(burnTxid)).bitcoinTxid, 120_000);
      await eventually('the payment in the node\'s mempool', async () => (await rpc.getTransactionConfirmations(bitcoinTxid)) !== null, 60_000);
      await faucet.mine(1);
      await eventually('every honest member sees the payment confirmed', async () => {
        const statuses = await Promise.all([0, 1, 2, 3].map((member) => net.clients[member]!.burnStatus(burnTxid)));
        return statuses.every((status) => status.status === 'in-bitcoin' && status.bitcoinTxid === bitcoinTxid && (status.confirmations ?? 0) >= 1);
      }, 60_000);

      // The flood lasts until every member has logged a summary, so the counted lines are those of whole intervals.
      await eventually('a summary of refused peg-out signatures from member 4 in every honest member\'s log', async () =>
        [0, 1, 2, 3].every((member) => logLines(member).some((line) => line.from === 4 && (line.repeats ?? 0) > 0)), 2 * REFUSAL_LOG_INTERVAL_MS + 60_000);
    } finally {
      clearInterval(flood);
    }
    const intervals = Math.ceil((Date.now() - floodStarted) / REFUSAL_LOG_INTERVAL_MS);
    for (const member of [0, 1, 2, 3]) {
      const dropped = await scrape(net.clients[member]!.baseUrl);
      expect(dropped.get('strongbox_peer_messages_dropped_total{reason="rate"}'), `member ${member}: frames dropped as rate`).to.be.greaterThan(0);
      const refusals = logLines(member).filter((line) => line.from === 4 && line.msg.startsWith('refused federation signatures'));
      // One line as an interval opens and one summary as it closes, whatever arrives in between.
      expect(refusals.length, `member ${member}: lines about member 4's refused signatures`).to.be.at.most(2 * intervals + 2);
      expect(refusals.reduce((sum, line) => sum + (line.repeats ?? 1), 0), `member ${member}: refusals those lines count`).to.be.greaterThan(refusals.length);
      // The metric that pages (PeerFlooding) has no member label: the log names the one flooding.
      const flooding = logLines(member).filter((line) => line.msg.startsWith('peer frames refused') && line.code === 'rate');
      expect(flooding.length, `member ${member}: lines naming the member flooding beyond the rate limit`).to.be.within(1, 2 * intervals + 2);
      expect(flooding.every((line) => line.peer === 4), `member ${member}: only member 4 named as flooding`).to.equal(true);
    }
  });
});
