import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemberApiError } from '../../federation/api/client.ts';
import { readKeyFile } from '../../federation/key-file.ts';
import { encodeTransactionBatch } from '../../federation/member/transaction-relay.ts';
import { startPeerTransport, type PeerTransport } from '../../federation/transport/index.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { scrape } from '../helpers/prometheus.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';

/** The first byte of a peer frame carrying a batch of relayed transactions (PROTOCOL.md, "Member payloads"). */
const TRANSACTIONS_PAYLOAD = 4;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Transactions relayed to members that cannot admit them for an output they lack, as a member that
 * is behind meets them: member 3 of four is replaced by a transport holding its key, which relays
 * to the three others what an honest member may have admitted before they had its block (a payment
 * of an output they never had) or what reaches a member once a block spent its output (a double
 * spend). Three of four still make blocks.
 */
describe('relayed transactions spending outputs a member lacks', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let relay: PeerTransport | undefined;
  const apiUrl = (index: number) => net.network.network.members[index]!.apiUrl;

  before(async () => {
    net = await startTestNetwork(4);
    const member = join(net.network.dataDir, 'member-3');
    const config = JSON.parse(readFileSync(join(member, 'config.json'), 'utf8')) as { peer: { port: number } };
    net.network.members[3]!.process.kill('SIGKILL');
    await net.network.members[3]!.exited;
    relay = await startPeerTransport({
      chainId: net.genesis.chainId,
      memberIndex: 3,
      seed: readKeyFile(join(member, 'key.json')).blockSeed,
      members: net.genesis.members.keys.map((publicKey) => ({ publicKey })),
      port: config.peer.port,
    });
    await eventually('the three members linked to member 3', async () => relay!.connectedPeers().length === 3, 30_000);
  });
  after(async () => {
    await relay?.close();
    await net?.stop();
  });

  const relayed = (transactions: Transaction[]) => relay!.broadcast(new Uint8Array([TRANSACTIONS_PAYLOAD, ...encodeTransactionBatch(transactions.map(encodeTransaction))]));

  it('drops a double spend of an output a final block spent at once, counted refused, instead of holding it until it expires', async () => {
    const chainId = net.genesis.chainId;
    const holder = testWallet();
    const issued = issuance(chainId, holder, 100n, 1n, { isin: 'US0378331005' });
    const issuedTxid = await net.clients[0]!.submit(issued.tx);
    const coin = { txid: txId(issued.tx), index: 0, amount: 100n };
    const paid = await net.clients[0]!.submit(transfer(chainId, holder, coin, issued.asset, testWallet().owner, 100n));
    await Promise.all([0, 1, 2].map((index) => net.clients[index]!.waitForFinal(paid, { timeoutMs: 60_000 })));
    expect((await net.clients[0]!.transaction(issuedTxid)).spenders?.map((spender) => spender.spentBy)).to.deep.equal([paid]);

    const doubleSpend = transfer(chainId, holder, coin, issued.asset, testWallet().owner, 100n);
    relayed([doubleSpend]);
    for (const index of [0, 1, 2]) {
      await eventually(`member ${index} refusing the double spend it held`, async () => (await scrape(apiUrl(index))).get('strongbox_mempool_orphans_total{outcome="refused"}') === 1);
      const metrics = await scrape(apiUrl(index));
      expect([metrics.get('strongbox_relayed_transactions_total{outcome="orphaned"}'), metrics.get('strongbox_mempool_orphans')], `member ${index}`).to.deep.equal([1, 0]);
      const asked = await net.clients[index]!.transaction(hex(txId(doubleSpend))).then(
        () => 'known',
        (error: unknown) => (error instanceof MemberApiError ? `${error.status} ${error.code}` : String(error)),
      );
      expect(asked, `member ${index}`).to.equal('404 not-found');
    }
  });

  it('answers GET /tx/:txid of one it holds with orphan and the outputs it lacks, which strongbox tx shows', async () => {
    const chainId = net.genesis.chainId;
    const holder = testWallet();
    // An output of a transaction no member has: the member cannot tell it from one of a block it lacks.
    const unseen = { txid: new Uint8Array(randomBytes(32)), index: 1, amount: 50n };
    const orphan = transfer(chainId, holder, unseen, issuance(chainId, holder, 1n).asset, testWallet().owner, 50n);
    const txid = hex(txId(orphan));
    const orphanedBefore = (await scrape(apiUrl(0))).get('strongbox_relayed_transactions_total{outcome="orphaned"}')!;
    relayed([orphan]);
    await eventually('member 0 holding it', async () => (await scrape(apiUrl(0))).get('strongbox_relayed_transactions_total{outcome="orphaned"}') === orphanedBefore + 1);
    const answer = { txid, status: 'orphan', waitingFor: [{ txid: hex(unseen.txid), vout: 1 }] };
    expect(await net.clients[0]!.transaction(txid)).to.deep.equal(answer);
    expect((await scrape(apiUrl(0))).get('strongbox_mempool_orphans')).to.equal(1);

    const shown = await runCli(['tx', txid, '--member', apiUrl(0)]);
    expect([shown.code, shown.stdout, shown.stderr]).to.deep.equal([
      0,
      `${txid}: not final; the member at ${apiUrl(0)} holds it as an orphan, relayed by another member: it is behind, and lacks an output it spends (${hex(unseen.txid)}:1) until it applies the block creating it; the members that are not behind hold it pending (\`strongbox tx ${txid} --member <another member>\` asks one of them)\n`,
      '',
    ]);
    const json = await runCli(['tx', txid, '--member', apiUrl(0), '--json']);
    expect([json.code, JSON.parse(json.stdout)]).to.deep.equal([0, answer]);
    // A wait for it ends with what the member holds it as, not with a mempool it is not in.
    const waited = await net.clients[0]!.waitForFinal(txid, { timeoutMs: 1_000 }).then(
      () => 'final',
      (error: unknown) => String((error as Error).message),
    );
    expect(waited).to.equal(`transaction ${txid} is not final after 1 s: the member at ${apiUrl(0)} holds it as an orphan, relayed by another member: it is behind, and lacks an output it spends (${hex(unseen.txid)}:1) until it applies the block creating it; the members that are not behind hold it pending`);
  });
});
