import { expect } from 'chai';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MemberApiError } from '../../federation/api/client.ts';
import { metricFamilies, parseMetrics, scrape } from '../helpers/prometheus.ts';
import { runCli } from '../helpers/cli.ts';
import { withMemberDatabaseDown } from '../helpers/database-outage.ts';
import { killMember, restartMember } from '../helpers/faults.ts';

/** The series selectors of a PromQL expression: each strongbox_ metric it reads, with its label matchers. */
function selectors(expr: string): { name: string; matchers: { label: string; op: string; value: string }[] }[] {
  return [...expr.matchAll(/\b(strongbox_[a-z0-9_]+)(?:\{([^}]*)\})?/g)].map(([, name, matchers]) => ({
    name: name!,
    matchers: [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(([, label, op, value]) => ({ label: label!, op: op!, value: value! })),
  }));
}

/** A sample's name and labels, from its key as parseMetrics gives it (`name{label="value",…}`). */
function seriesLabels(key: string): { name: string; labels: Map<string, string> } {
  const brace = key.indexOf('{');
  if (brace < 0) return { name: key, labels: new Map() };
  return { name: key.slice(0, brace), labels: new Map([...key.slice(brace).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, label, value]) => [label!, value!])) };
}

/** The alert rules of docs/OPERATOR.md's `strongbox-rules.yml`. */
function alertRules(): { alert: string; expr: string }[] {
  const ruleFile = /```yaml\n(groups:[\s\S]*?)```/.exec(readFileSync(new URL('../../docs/OPERATOR.md', import.meta.url), 'utf8'))?.[1];
  return (parse(ruleFile!) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((group) => group.rules);
}

/** What an operator's Prometheus scrapes from a member process, and that it follows the chain. */
describe('Prometheus metrics at /metrics of a member process', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let url: string;
  let rpc: BitcoinRpc;
  const SELF = 1;
  // One member's metrics, which a member of three exposes as one of five does; a network of three
  // starts and runs on less CPU.
  const MEMBERS = 3;
  const PEERS = [0, 2];

  before(async () => {
    net = await startTestNetwork(MEMBERS);
    url = net.network.network.members[SELF]!.apiUrl;
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
  });
  after(() => net?.stop());

  it('exposes chain, consensus, peer and peg metrics in the Prometheus text format', async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const samples = await scrape(url);
    for (const name of [
      'strongbox_chain_height',
      'strongbox_mempool_transactions',
      'strongbox_finality_latency_seconds_count',
      'strongbox_peers_connected',
      'strongbox_bitcoin_height',
      'strongbox_pegin_minting_halted',
      'strongbox_pegin_deposits{state="confirmed"}',
      'strongbox_pegin_deposits_sats{state="confirmed"}',
      'strongbox_pegged_minted_sats',
      'strongbox_pegged_burned_sats',
      'strongbox_pegged_outstanding_sats',
      'strongbox_escrow_sats',
      'strongbox_pegout_queue_burns',
      'strongbox_pegout_queue_sats',
      'strongbox_process_resident_memory_bytes',
    ]) {
      expect(samples.has(name), name).to.equal(true);
    }
    // Links come up in the first seconds after a start; once they are, every peer shows as up.
    const linked = await eventually('links to every peer', async () => {
      const now = await scrape(url);
      return now.get('strongbox_peers_connected') === PEERS.length && now;
    });
    for (const peer of PEERS) {
      expect(linked.get(`strongbox_peer_connected{member="${peer}"}`), `peer ${peer}`).to.equal(1);
      // Heard from at least when its link came up, even on a chain with nothing to do.
      expect(linked.get(`strongbox_peer_last_seen_timestamp_seconds{member="${peer}"}`), `peer ${peer} last seen`).to.be.within(Date.now() / 1000 - 300, Date.now() / 1000 + 1);
    }
    expect(linked.has(`strongbox_peer_connected{member="${SELF}"}`), 'no link to itself').to.equal(false);
    // A series for every member from the start, so an alert on the gap also sees one that never signed.
    for (let member = 0; member < MEMBERS; member++) expect(linked.get(`strongbox_member_last_signed_height{member="${member}"}`), `member ${member}`).to.be.a('number');
    expect(samples.get('strongbox_pegin_minting_halted')).to.equal(0);
    const bitcoinTip = await rpc.getBlockCount();
    await eventually('the follower at the Bitcoin tip', async () => (await scrape(url)).get('strongbox_bitcoin_height') === bitcoinTip);
  });

  it('moves as blocks are made: height, finality latency and the signers of the new block', async () => {
    const before = await scrape(url);
    const client = net.clients[SELF]!;
    const { tx } = issuance(net.genesis.chainId, testWallet(), 10n);
    const final = await client.waitForFinal(await client.submit(tx));
    const after = await eventually('the height metric at the new block', async () => {
      const samples = await scrape(url);
      return samples.get('strongbox_chain_height')! >= final.height! && samples;
    });
    expect(after.get('strongbox_chain_height')).to.be.above(before.get('strongbox_chain_height')!);
    expect(after.get('strongbox_finality_latency_seconds_count')).to.be.at.least(before.get('strongbox_finality_latency_seconds_count')! + 1);
    expect(after.get('strongbox_finality_latency_seconds_sum')).to.be.above(before.get('strongbox_finality_latency_seconds_sum')!);
    const block = (await (await fetch(`${url}/blocks/${final.height}`)).json()) as { commit: { signers: number[] } };
    for (const signer of block.commit.signers) expect(after.get(`strongbox_member_last_signed_height{member="${signer}"}`), `member ${signer}`).to.be.at.least(final.height!);
  });

  it('counts refused submissions by their error code', async () => {
    const client = net.clients[SELF]!;
    const { tx } = issuance(net.genesis.chainId, testWallet(), 5n);
    await client.waitForFinal(await client.submit(tx));
    const refusal = await client.submit(tx).then(
      () => expect.fail('a final transaction was accepted again'),
      (error: unknown) => error as MemberApiError,
    );
    expect(refusal).to.be.instanceOf(MemberApiError);
    const counter = `strongbox_transactions_rejected_total{code="${refusal.code}"}`;
    const before = (await scrape(url)).get(counter) ?? 0;
    await client.submit(tx).catch(() => undefined);
    expect((await scrape(url)).get(counter)).to.equal(before + 1);
  });

  it('exposes every metric docs/OPERATOR.md names, and its alert rules read only exposed metrics, label values and matching labels', async () => {
    const operatorGuide = readFileSync(new URL('../../docs/OPERATOR.md', import.meta.url), 'utf8');
    const exposition = await (await fetch(`${url}/metrics`)).text();
    const families = metricFamilies(exposition);
    const series = [...parseMetrics(exposition).keys()].map(seriesLabels);
    // Histograms are exposed as one family; rules read its _bucket, _sum and _count series.
    const exposed = (name: string) => families.has(name) || families.has(name.replace(/_(bucket|sum|count)$/, ''));
    const named = new Set([...operatorGuide.matchAll(/\bstrongbox_[a-z0-9_]+\b(?!\*)/g)].map((match) => match[0]));
    expect(named.size).to.be.above(15);
    for (const name of named) expect(exposed(name), `${name} in docs/OPERATOR.md`).to.equal(true);

    const rules = alertRules();
    expect(rules.length).to.be.above(5);
    for (const rule of rules) {
      expect(rule.alert).to.match(/^[A-Z][A-Za-z]+$/);
      for (const { name, matchers } of selectors(rule.expr)) {
        expect(exposed(name), `${name} in alert ${rule.alert}`).to.equal(true);
        // A label value no series has matches nothing, and the alert never fires: each one the
        // rule names (each alternative of a =~) must be a series the member exposes, at 0 if need be.
        for (const { label, op, value } of matchers) {
          if (op !== '=' && op !== '=~') continue;
          for (const wanted of op === '=' ? [value] : value.split('|')) {
            expect(series.some((one) => one.name === name && one.labels.get(label) === wanted), `${name}{${label}="${wanted}"} in alert ${rule.alert}`).to.equal(true);
          }
        }
      }
      // Vector matching on a label the series lack pairs nothing; Prometheus adds instance and job itself.
      for (const [, labels] of rule.expr.matchAll(/\b(?:on|ignoring)\s*\(([^)]*)\)/g)) {
        for (const label of labels!.split(',').map((one) => one.trim()).filter((one) => one !== 'instance' && one !== 'job')) {
          for (const { name } of selectors(rule.expr)) expect(series.some((one) => one.name === name && one.labels.has(label)), `${name} has no label ${label} (alert ${rule.alert})`).to.equal(true);
        }
      }
    }
  });

  it('counts a peg-in while it confirms, then as minted, with the pegged supply it adds', async () => {
    const faucet = new Faucet(rpc);
    const carol = testWallet();
    const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(carol.address)));
    const before = await scrape(url);
    const count = (samples: Map<string, number>, state: string) => samples.get(`strongbox_pegin_deposits{state="${state}"}`)!;
    const sats = (samples: Map<string, number>, state: string) => samples.get(`strongbox_pegin_deposits_sats{state="${state}"}`)!;

    await faucet.fund(depositAddress!, 300_000n);
    await faucet.mine(1);
    const confirming = await eventually('the deposit counted as confirming', async () => {
      const samples = await scrape(url);
      return count(samples, 'confirming') === count(before, 'confirming') + 1 && samples;
    });
    expect(sats(confirming, 'confirming')).to.equal(sats(before, 'confirming') + 300_000);

    await faucet.mine(net.genesis.file.pegin.confirmations - 1);
    const minted = await eventually('the deposit counted as minted', async () => {
      const samples = await scrape(url);
      return count(samples, 'minted') === count(before, 'minted') + 1 && samples;
    });
    const mintedSats = 300_000 - Number(net.genesis.file.pegin.feeSats);
    expect(count(minted, 'confirming')).to.equal(count(before, 'confirming'));
    expect(sats(minted, 'minted')).to.equal(sats(before, 'minted') + 300_000);
    expect(minted.get('strongbox_pegged_minted_sats')).to.equal(before.get('strongbox_pegged_minted_sats')! + mintedSats);
    expect(minted.get('strongbox_pegged_outstanding_sats')).to.equal(before.get('strongbox_pegged_outstanding_sats')! + mintedSats);
    // The escrow grows by the whole deposit: the minted amount and the peg-in fee the federation kept.
    expect(minted.get('strongbox_escrow_sats')).to.equal(before.get('strongbox_escrow_sats')! + 300_000);
  });

  it('answers its scrape while its database is away, saying so, with the height and peers it holds in memory (a peer lost meanwhile shown lost), and reads the database again once it is back', async () => {
    const databaseState = async () => (await net.clients[SELF]!.status()).database;
    const before = await scrape(url);
    expect(before.get('strongbox_database_unavailable')).to.equal(0);
    expect(await databaseState()).to.equal(null);
    const signers = [...before.keys()].filter((sample) => sample.startsWith('strongbox_member_last_signed_height{'));
    expect(signers).to.have.length(MEMBERS);
    const lost = PEERS[0]!;
    const { during, afterPeerLost } = await withMemberDatabaseDown(net, SELF, async () => {
      const during = await scrape(url);
      // /status and strongbox status say it too: the height they show is the last the member stored.
      const away = (await databaseState())!;
      expect(away.reason).to.match(/is not currently accepting connections$/);
      const said = await runCli(['status', '--member', url]);
      expect(said.stdout, said.stderr).to.match(new RegExp(`\\ndatabase out of reach since ${new Date(away.sinceMs).toISOString()}, so the member takes no part in blocks and its height is the last it stored: .*is not currently accepting connections\\n$`));
      // Its links are not the database's: a peer lost meanwhile pages as disconnected from this member too.
      await killMember(net, lost);
      const afterPeerLost = await eventually(`the scrape showing member ${lost}'s link lost`, async () => {
        const samples = await scrape(url);
        return samples.get(`strongbox_peer_connected{member="${lost}"}`) === 0 && samples;
      });
      return { during, afterPeerLost };
    });
    expect(during.get('strongbox_database_unavailable')).to.equal(1);
    expect(during.get('strongbox_chain_height')).to.be.at.least(before.get('strongbox_chain_height')!);
    expect(during.get('strongbox_peers_connected')).to.equal(PEERS.length);
    expect(afterPeerLost.get('strongbox_database_unavailable')).to.equal(1);
    expect(afterPeerLost.get('strongbox_peers_connected')).to.equal(PEERS.length - 1);
    // What it read from the database last stays: a gap in these series would page as a member not signing.
    for (const sample of signers) expect(during.get(sample), sample).to.be.a('number');
    await eventually('the scrape reading the database again', async () => (await scrape(url)).get('strongbox_database_unavailable') === 0);
    expect(await databaseState()).to.equal(null);
    await restartMember(net, lost);
    await eventually(`the scrape showing member ${lost} linked again`, async () => (await scrape(url)).get(`strongbox_peer_connected{member="${lost}"}`) === 1);
  });

  it('says while the Bitcoin node is away that the member cannot ask it, in /status, the status command and a metric, and no longer once it is back', async () => {
    expect((await scrape(url)).get('strongbox_bitcoin_node_unreachable_seconds')).to.equal(0);
    await net.network.bitcoin.stop();
    try {
      // A request in flight as the node stops ends as a reset; those after it are refused.
      const away = await eventually('the member saying its node refuses connections', async () => {
        const { nodeError } = (await net.clients[SELF]!.status()).bitcoin;
        return nodeError?.reason.endsWith('(connection refused)') && nodeError;
      });
      expect(away.reason).to.equal(`Bitcoin node at http://127.0.0.1:${net.network.bitcoin.rpcPort} is unreachable (connection refused)`);
      const said = await runCli(['status', '--member', url]);
      expect(said.stdout, said.stderr).to.include(`\nbitcoin  block ${(await net.clients[SELF]!.status()).bitcoin.height} read; the member cannot ask its Bitcoin node since ${new Date(away.sinceMs).toISOString()}, so it mints, pays out and anchors nothing: ${away.reason}\n`);
      await eventually('the metric counting the time away', async () => ((await scrape(url)).get('strongbox_bitcoin_node_unreachable_seconds') ?? 0) > 0);
    } finally {
      await net.network.restartBitcoin();
    }
    await eventually('the member asking its node again', async () => (await net.clients[SELF]!.status()).bitcoin.nodeError === null);
    expect((await scrape(url)).get('strongbox_bitcoin_node_unreachable_seconds')).to.equal(0);
  });

  it('answers its scrape while its Bitcoin node is away and a deposit it has not yet listed waits for its mint, keeping the deposit gauges last read', async () => {
    const faucet = new Faucet(rpc);
    const dave = testWallet();
    const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(dave.address)));
    const before = await scrape(url);
    await faucet.fund(depositAddress!, 200_000n);
    await faucet.mine(1);
    const tip = await rpc.getBlockCount();
    // Seen by the member's follower, and not yet listed by a scrape, which asks the node whether it is a coinbase's.
    await eventually('the follower at the block holding the deposit', async () => (await net.clients[SELF]!.status()).bitcoin.height === tip);
    await net.network.bitcoin.stop();
    try {
      await eventually('the member saying its node is away', async () => (await net.clients[SELF]!.status()).bitcoin.nodeError !== null);
      const during = await scrape(url);
      expect(during.get('strongbox_bitcoin_node_unreachable_seconds')).to.be.above(0);
      expect(during.get('strongbox_database_unavailable')).to.equal(0);
      expect(during.get('strongbox_pegin_deposits{state="confirming"}')).to.equal(before.get('strongbox_pegin_deposits{state="confirming"}'));
      // The API's reads that need the node answer 503, the member's state and not the client's request.
      const deposits = await fetch(`${url}/pegin/deposits`);
      expect(deposits.status).to.equal(503);
      expect(deposits.headers.get('retry-after')).to.equal('5');
      expect(((await deposits.json()) as { error: { code: string } }).error.code).to.equal('bitcoin-unavailable');
    } finally {
      await net.network.restartBitcoin();
    }
    await eventually('the deposit listed as confirming once the node is back', async () => (await scrape(url)).get('strongbox_pegin_deposits{state="confirming"}') === before.get('strongbox_pegin_deposits{state="confirming"}')! + 1);
  });

  it('meets OpsWalletLow while the operations wallet is empty, and no longer once it is funded as OPERATOR.md says', async () => {
    const rule = alertRules().find((one) => one.alert === 'OpsWalletLow')!;
    const threshold = Number(/^strongbox_ops_wallet_sats < (\d+)$/.exec(rule.expr)![1]);
    // This network's wallet was never funded.
    expect((await scrape(url)).get('strongbox_ops_wallet_sats')).to.be.below(threshold);
    const rpcUrl = net.network.network.bitcoinRpcUrl;
    const funded = await runCli(['anchor', 'fund', '--amount', '0.01', '--genesis', net.network.network.genesisFile!, '--rpc', rpcUrl]);
    expect(funded.code, funded.stderr).to.equal(0);
    const mined = await runCli(['regtest', 'mine', '1', '--rpc', rpcUrl]);
    expect(mined.code, mined.stderr).to.equal(0);
    await eventually('the wallet funded above the alert\'s threshold in the scrape', async () => ((await scrape(url)).get('strongbox_ops_wallet_sats') ?? 0) >= threshold);
  });
});
