import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKeyFile } from '../../federation/key-file.ts';
import { encodeMessage, signProposal, signVote, type ConsensusMessage } from '../../federation/consensus/index.ts';
import { startPeerTransport, type PeerTransport } from '../../federation/transport/index.ts';
import { VoteType } from '../../sidechain/vote.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';

const CONSENSUS_PAYLOAD = 1;

/**
 * Member 4 is replaced by an adversary that holds its real key and signs two conflicting
 * messages for every step, at several rounds. The four honest member processes must decide one
 * block, never two, and keep the adversary's double signatures as evidence.
 */
describe('a Byzantine member among five member processes', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let adversary: PeerTransport | undefined;

  before(async () => {
    net = await startTestNetwork(5);
  });
  after(async () => {
    await adversary?.close();
    await net?.stop();
  });

  it('equivocates without causing a fork, and leaves evidence', async () => {
    const folder = join(net.network.dataDir, 'member-4');
    const keys = readKeyFile(join(folder, 'key.json'));
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { peer: { port: number } };
    net.network.members[4]!.process.kill('SIGKILL');
    await net.network.members[4]!.exited;

    const chainId = net.genesis.chainId;
    adversary = await startPeerTransport({
      chainId,
      memberIndex: 4,
      seed: keys.blockSeed,
      members: net.genesis.members.keys.map((publicKey) => ({ publicKey })),
      port: config.peer.port,
    });
    await eventually('the honest members connected to the adversary', async () => adversary!.connectedPeers().length === 4, 30_000);

    // Any message for the open height wakes the honest members, so the attack itself lets them
    // decide (empty) blocks: it follows the height they are deciding, since messages for a height
    // they have finished are dropped as stale and prove nothing.
    let height = (await net.clients[0]!.status()).height + 1;
    const followHeight = () => void net.clients[0]!.status().then((status) => (height = Math.max(height, status.height + 1)), () => undefined);
    const send = (message: ConsensusMessage) => adversary!.broadcast(new Uint8Array([CONSENSUS_PAYLOAD, ...encodeMessage(message)]));
    const twoHashes = () => [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    const attack = (round: number) => {
      for (const type of [VoteType.Prevote, VoteType.Precommit]) {
        for (const blockHash of twoHashes()) send(signVote(chainId, keys.blockSeed, { type, height, round, blockHash, memberIndex: 4 }));
      }
      if ((height + round) % 5 === 4) {
        for (const hash of twoHashes()) {
          send(signProposal(chainId, keys.blockSeed, { height, round, polRound: -1, value: { hash, bytes: new Uint8Array(randomBytes(200)) }, memberIndex: 4 }));
        }
      }
    };
    const evidenceAgainstMember4 = async () => {
      const lists = await Promise.all([0, 1, 2, 3].map(async (i) => ((await (await fetch(`${net.clients[i]!.baseUrl}/evidence`)).json()) as { evidence: { memberIndex: number; kind: string }[] }).evidence));
      const all = lists.flat();
      return all.length > 0 ? all : undefined;
    };
    const timer = setInterval(() => {
      followHeight();
      [0, 1, 2, 3].forEach(attack);
    }, 100);
    try {
      const issuer = testWallet();
      const txid = await net.clients[1]!.submit(issuance(chainId, issuer, 42n).tx);
      const finals = await Promise.all([0, 1, 2, 3].map((i) => net.clients[i]!.waitForFinal(txid, { timeoutMs: 60_000 })));
      expect(new Set(finals.map((f) => f.height)).size).to.equal(1);
      for (let h = 1; h <= finals[0]!.height!; h++) {
        const blocks = await Promise.all([0, 1, 2, 3].map((i) => net.clients[i]!.finalBlock(h)));
        expect(new Set(blocks.map((b) => b.block)).size, `one block at height ${h} on every honest member`).to.equal(1);
      }
      for (const client of net.clients.slice(0, 4)) {
        expect((await client.balances(issuer.address)).map((b) => b.amount)).to.deep.equal([42n]);
      }
      const evidence = await eventually('evidence against member 4', evidenceAgainstMember4);
      expect(evidence.every((entry) => entry.memberIndex === 4)).to.equal(true);
      expect(evidence.map((entry) => entry.kind)).to.include('conflicting-votes');
    } finally {
      clearInterval(timer);
    }

    // An auditor learns of it from the members' evidence, each proof checked against member 4's key.
    const env = { STRONGBOX_HOME: net.network.dataDir };
    const audit = await runCli(['audit', '--json'], { env });
    expect(audit.code, audit.stderr).to.equal(0);
    const { equivocations } = JSON.parse(audit.stdout) as { equivocations: { proven: { member: number; step: string; heldBy: string[] }[]; unproven: unknown[] } };
    const honest = net.network.network.members.slice(0, 4).map((member) => member.apiUrl);
    expect(equivocations.proven).to.not.be.empty;
    expect(equivocations.proven.every((item) => item.member === 4 && item.heldBy.length > 0 && item.heldBy.every((url) => honest.includes(url)))).to.equal(true);
    expect(equivocations.proven.map((item) => item.step)).to.include.oneOf(['prevote', 'precommit']);
    expect(equivocations.unproven).to.deep.equal([]);
    const said = await runCli(['audit'], { env });
    expect(said.code, said.stderr).to.equal(0);
    expect(said.stdout).to.match(/^evidence: {4}member 4 \(\S+\) signed twice \d+ times? \([a-z, ]+\) at heights? [\d–]+, proven by its own signatures \(held by [1-4] members?\): the chain above stays single, but that member must be taken out of service$/m);
  });
});
