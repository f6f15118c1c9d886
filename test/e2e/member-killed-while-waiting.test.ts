import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { MemberApiError } from '../../federation/api/client.ts';
import { killMember, memberRunning, restartMember } from '../helpers/faults.ts';
import { runCli, startCli, type CliResult } from '../helpers/cli.ts';
import { killingRelay } from '../helpers/killing-relay.ts';
import { testWallet, transfer } from '../helpers/transactions.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { readNetworkFile, writeNetworkFile } from '../../federation/local-network/network-file.ts';

/**
 * A payment command whose member is SIGKILLed while it waits for the payment to be final, or
 * while it submits it, as a user of a five-member federation meets it: with the local network's
 * members to go on with, and with one member named.
 */
describe('a command whose member is killed while it waits for finality', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let dir: string;
  let local: { env: NodeJS.ProcessEnv };

  before(async () => {
    net = await startTestNetwork(5);
    dir = mkdtempSync(join(tmpdir(), 'strongbox-killed-'));
    local = { env: { STRONGBOX_HOME: net.network.dataDir } };
  });
  // A test that fails with members down leaves them up again for the next.
  afterEach(async () => {
    for (let index = 0; index < 5; index++) {
      if (memberRunning(net, index)) net.network.members[index]!.process.kill('SIGCONT');
      await restartMember(net, index);
    }
  });
  after(async () => {
    await net?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const apiUrl = (index: number) => net.network.network.members[index]!.apiUrl;
  const named = (index: number | string) => ['--member', typeof index === 'number' ? apiUrl(index) : index, '--genesis', net.network.network.genesisFile!];

  /** A new wallet holding the whole supply, 100, of a new security; the send of 30 to a new address that the tests run, and what it prints, final at a height or not waited for. */
  async function payment(isin: string): Promise<{ args: string[]; sender: string; recipient: string; asset: string; said: (txid: string, height: number | undefined) => string }> {
    const file = join(dir, `${isin}.wallet.json`);
    const made = await runCli(['wallet', 'new', '--file', file, '--json']);
    expect(made.code, made.stderr).to.equal(0);
    const sender = (JSON.parse(made.stdout) as { address: string }).address;
    const issued = await runCli(['issue', '--name', `Holding ${isin}`, '--isin', isin, '--supply', '100', '--file', file, '--json'], local);
    expect(issued.code, issued.stderr).to.equal(0);
    const { asset } = JSON.parse(issued.stdout) as { asset: string };
    const recipient = testWallet().address;
    return {
      args: ['send', '--asset', asset, '--to', recipient, '--amount', '30', '--file', file],
      sender,
      recipient,
      asset,
      said: (txid, height) => `sent 30 of Holding ${isin} (${isin}) ${asset} to ${recipient}: ${txid} ${height === undefined ? `pending, not waited for (\`strongbox tx ${txid}\` says when it is final)` : `final at height ${height}`}\n`,
    };
  }

  /** What a member that is up holds of `asset` at `address`, in base units. */
  async function holding(address: string, asset: string): Promise<bigint> {
    const client = net.clients.find((_, index) => memberRunning(net, index))!;
    return (await client.balances(address)).find((balance) => balance.asset === asset)?.amount ?? 0n;
  }

  async function expectPaid(pay: { sender: string; recipient: string; asset: string }, times: bigint): Promise<void> {
    expect([await holding(pay.sender, pay.asset), await holding(pay.recipient, pay.asset)]).to.deep.equal([100n - 30n * times, 30n * times]);
  }

  /** The txid a command's progress line names. */
  const submitted = (stderr: string) => /^submitted ([0-9a-f]{64}), waiting for finality/.exec(stderr)![1]!;

  // Two of five paused leave three members, one short of the four a block needs: a payment then
  // waits for finality until they go on, long enough to kill the member it waits on.
  const pauseMembers = (signal: 'SIGSTOP' | 'SIGCONT', members: number[]) => members.forEach((index) => net.network.members[index]!.process.kill(signal));
  const haltBlocks = () => pauseMembers('SIGSTOP', [3, 4]);
  const resumeBlocks = () => pauseMembers('SIGCONT', [3, 4]);

  async function finalHeight(txid: string, member: number): Promise<number> {
    return (await net.clients[member]!.waitForFinal(txid, { timeoutMs: 60_000 })).height!;
  }

  // A member killed mid-request closes the connection or resets it, as the kernel finds its socket.
  const killedMidRequest = '(connection closed before it answered|connection reset)';
  const progress = (txid: string) => `submitted ${txid}, waiting for finality\\.*\n`;
  const failedOver = (from: string, to: number, txid: string) => `member at ${from} is unreachable; ${apiUrl(to)} answered instead\n(waiting for finality of ${txid}\\.+\n)?`;

  it('goes on waiting through the next member of the local network, prints the final height once, and a second run is a second payment', async () => {
    const pay = await payment('US0378331005');
    haltBlocks();
    const run = await startCli(pay.args, /waiting for finality/, local);
    const txid = submitted(run.stderr());
    // Member 0, the first of the local network, took it, passed it on, and is the one the command waits on.
    expect((await net.clients[0]!.transaction(txid)).status).to.equal('pending');
    await eventually('member 1 holding the payment', async () => (await net.clients[1]!.transaction(txid)).status === 'pending');
    await killMember(net, 0);
    resumeBlocks();
    const ran = await run.result;
    expect([ran.code, ran.stdout], ran.stderr).to.deep.equal([0, pay.said(txid, await finalHeight(txid, 1))]);
    expect(ran.stderr).to.match(new RegExp(`^${progress(txid)}${failedOver(apiUrl(0), 1, txid)}$`));
    await expectPaid(pay, 1n);

    await restartMember(net, 0);
    const again = await runCli(pay.args, local);
    const second = submitted(again.stderr);
    expect(second).to.not.equal(txid);
    expect([again.code, again.stdout]).to.deep.equal([0, pay.said(second, await finalHeight(second, 0))]);
    expect(again.stderr).to.match(new RegExp(`^${progress(second)}$`));
    await expectPaid(pay, 2n);
  });

  it('gives the payment to the next member of the local network when the one that took it died before passing it on', async () => {
    const pay = await payment('JP3435000009');
    // Alone, member 0 passes the payment to nobody.
    await Promise.all([1, 2, 3, 4].map((index) => killMember(net, index)));
    const run = await startCli(pay.args, /waiting for finality/, local);
    const txid = submitted(run.stderr());
    // The command is held still while member 0 dies and the four others come back without the payment.
    run.child.kill('SIGSTOP');
    await killMember(net, 0);
    await Promise.all([1, 2, 3, 4].map((index) => restartMember(net, index)));
    await eventually('member 1 answering that it does not know the payment', () => net.clients[1]!.transaction(txid).then(() => false, (error: unknown) => error instanceof MemberApiError && error.status === 404));
    run.child.kill('SIGCONT');
    const ran = await run.result;
    expect([ran.code, ran.stdout], ran.stderr).to.deep.equal([0, pay.said(txid, await finalHeight(txid, 1))]);
    expect(ran.stderr).to.match(new RegExp(`^${progress(txid)}${failedOver(apiUrl(0), 1, txid)}$`));
    await expectPaid(pay, 1n);
  });

  it('with one member named, exits with 3 naming the transaction and how to check it; run again while it waits for its block, it pays once, and once it is final, once more', async () => {
    const pay = await payment('US5949181045');
    haltBlocks();
    const run = await startCli([...pay.args, ...named(1)], /waiting for finality/);
    const txid = submitted(run.stderr());
    // Passed on before member 1 dies: a payment it took with it would be "not found", as the line says.
    await eventually('member 0 holding the payment', async () => (await net.clients[0]!.transaction(txid)).status === 'pending');
    await killMember(net, 1);
    const ran = await run.result;
    const line = `strongbox: member at ${apiUrl(1)} is unreachable \\(${killedMidRequest}\\) while waiting: ${txid} was submitted and may be final without this command: \`strongbox tx ${txid} --member <another member>\` says \\(final: done, and running the same command line again sends another payment; pending: it waits for its block, and the same command line run again builds this very transaction; not found: the member went away before passing it on, and the command may be run again\\)\n`;
    expect([ran.code, ran.stdout]).to.deep.equal([3, '']);
    expect(ran.stderr).to.match(new RegExp(`^${progress(txid)}${line}$`));

    // Back without its mempool, member 1 is given the payment by its peers as its links come up;
    // the same command line run again builds the very same transaction, which it already holds.
    await restartMember(net, 1);
    await eventually('member 1 holding the payment again', () => net.clients[1]!.transaction(txid).then((held) => held.status === 'pending', () => false));
    const retried = await startCli([...pay.args, ...named(1)], /waiting for finality/);
    expect(retried.stderr()).to.match(new RegExp(`^already submitted ${txid}, waiting for finality`));
    resumeBlocks();
    const retriedRan = await retried.result;
    const height = await finalHeight(txid, 0);
    expect([retriedRan.code, retriedRan.stdout]).to.deep.equal([1, '']);
    expect(retriedRan.stderr).to.match(new RegExp(`\nstrongbox: this very transaction, ${txid}, was already submitted \\(an identical one was sent before or at the same time\\) and is final at height ${height}: nothing new was sent\n$`));
    await expectPaid(pay, 1n);

    const again = await runCli([...pay.args, ...named(1)]);
    const second = submitted(again.stderr);
    expect(second).to.not.equal(txid);
    expect([again.code, again.stdout]).to.deep.equal([0, pay.said(second, await finalHeight(second, 0))]);
    await expectPaid(pay, 2n);
  });

  it('killed with the submission in its socket, unread, the member leaves the command to send it to the next member of the local network', async () => {
    const pay = await payment('SE0000108656');
    const relay = await killingRelay(net, 0, 'received');
    const home = mkdtempSync(join(tmpdir(), 'strongbox-killed-home-'));
    try {
      const network = readNetworkFile(net.network.dataDir);
      writeNetworkFile(home, { ...network, members: network.members.map((member) => (member.memberIndex === 0 ? { ...member, apiUrl: relay.url } : member)) });
      const ran: CliResult = await runCli(pay.args, { env: { STRONGBOX_HOME: home } });
      await net.network.members[0]!.exited;
      const txid = submitted(ran.stderr.slice(ran.stderr.indexOf('\n') + 1));
      expect([ran.code, ran.stdout], ran.stderr).to.deep.equal([0, pay.said(txid, await finalHeight(txid, 1))]);
      expect(ran.stderr).to.match(new RegExp(`^member at ${relay.url} is unreachable; ${apiUrl(1)} answered instead\n${progress(txid)}$`));
      await expectPaid(pay, 1n);
    } finally {
      relay.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('with one member named and killed with the submission unread, says that it cannot tell and how to check; run again, the same transaction is sent and paid once', async () => {
    const pay = await payment('DE000BAY0017');
    const relay = await killingRelay(net, 2, 'received');
    try {
      const ran = await runCli([...pay.args, ...named(relay.url)]);
      await net.network.members[2]!.exited;
      const txid = /while taking ([0-9a-f]{64})/.exec(ran.stderr)?.[1];
      expect([ran.code, ran.stdout]).to.deep.equal([1, '']);
      expect(ran.stderr).to.match(
        new RegExp(`^strongbox: member at ${relay.url} is unreachable \\(${killedMidRequest}\\) while taking ${txid}, and no member answered whether it holds it: it may have been submitted; \`strongbox tx ${txid}\` says whether it is pending or final: check that before running the command again\n$`),
      );
      await expectPaid(pay, 0n);
      await restartMember(net, 2);
      // The same coins, the same deterministic signature: had the member taken the first, the chain would apply it once.
      const again = await runCli([...pay.args, ...named(relay.url)]);
      expect(submitted(again.stderr)).to.equal(txid);
      expect([again.code, again.stdout]).to.deep.equal([0, pay.said(txid!, await finalHeight(txid!, 0))]);
      await expectPaid(pay, 1n);
    } finally {
      relay.close();
    }
  });

  it('an issuance run again while it waits for its block, after Ctrl-C, registers one security, not two', async () => {
    const file = join(dir, 'rerun-issuer.wallet.json');
    expect((await runCli(['wallet', 'new', '--file', file])).code).to.equal(0);
    const isin = 'GB0002634946';
    const args = ['issue', '--name', 'Rerun Holdings', '--isin', isin, '--supply', '100', '--file', file];
    haltBlocks();
    const first = await startCli(args, /waiting for finality/, local);
    const txid = submitted(first.stderr());
    first.child.kill('SIGINT');
    const interrupted = await first.result;
    expect([interrupted.code, interrupted.stderr.split('\n').slice(1)]).to.deep.equal([
      130,
      [
        `strongbox: interrupted while waiting: ${txid} was submitted and becomes final without this command (\`strongbox tx ${txid}\` says when); run again while ${txid} is pending, the same command line builds this very transaction, which the chain applies once; once it is final, running it again is refused, the ISIN being registered (with --duplicate-isin, it registers a second security)`,
        '',
      ],
    ]);
    // The same security, the same issuer, nothing registered under the ISIN yet: the same transaction.
    const again = await startCli(args, /waiting for finality/, local);
    expect(again.stderr()).to.match(new RegExp(`^already submitted ${txid}, waiting for finality`));
    resumeBlocks();
    const ran = await again.result;
    const height = await finalHeight(txid, 0);
    expect([ran.code, ran.stdout]).to.deep.equal([1, '']);
    expect(ran.stderr).to.match(new RegExp(`strongbox: this very transaction, ${txid}, was already submitted \\(an identical one was sent before or at the same time\\) and is final at height ${height}: nothing new was sent\n$`));
    const registered = await net.clients[0]!.assetsWithIsin(isin);
    expect(registered.map((asset) => [asset.name, asset.supply])).to.deep.equal([['Rerun Holdings', 100n]]);
  });

  it('a member paused while a deposit was minted holds a payment of the minted bitcoin relayed to it meanwhile, once it has caught up, and has it in its blocks', async () => {
    const depositor = testWallet();
    const deposits = await Promise.all(net.clients.map((client) => client.registerDepositAddress(depositor.address)));
    const faucet = new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl));
    await faucet.fund(deposits[0]!, 100_000n);
    await faucet.mine(net.genesis.file.pegin.confirmations - 1);
    // Paused before the last confirmation, member 4 misses the block minting the deposit; a mint is
    // made by its block's proposer and reaches no mempool, so the payment below spends an output
    // member 4 cannot know of before it has that block.
    pauseMembers('SIGSTOP', [4]);
    await faucet.mine(1);
    const minted = await eventually('the deposit minted', async () => (await net.clients[0]!.utxos(depositor.address))[0]);
    const mintedAt = await finalHeight(minted.txid, 0);
    // Members 2 and 3 paused too: with member 4 back, three of five make no block, so the payment stays pending.
    pauseMembers('SIGSTOP', [2, 3]);
    const payment = transfer(net.genesis.chainId, depositor, { txid: Buffer.from(minted.txid, 'hex'), index: minted.vout, amount: minted.amount }, BTC_ASSET_ID, testWallet().owner, 30_000n);
    const txid = await net.clients[0]!.submit(payment);
    // Member 4 reads the batch relayed to it as it resumes, before it has applied block `mintedAt`.
    pauseMembers('SIGCONT', [4]);
    await eventually('member 4 caught up', async () => (await net.clients[4]!.status()).height >= mintedAt);
    await eventually('member 4 holding the payment', () => net.clients[4]!.transaction(txid).then((held) => held.status === 'pending', () => false));
    const metrics = await (await fetch(`${apiUrl(4)}/metrics`)).text();
    expect(metrics).to.match(/^strongbox_relayed_transactions_total\{outcome="orphaned"\} 1$/m);
    expect(metrics).to.match(/^strongbox_mempool_orphans_total\{outcome="admitted"\} 1$/m);
    pauseMembers('SIGCONT', [2, 3]);
    expect(await finalHeight(txid, 4)).to.be.above(mintedAt);
  });

  it('with --wait 0 prints the payment pending and exits 0 at once; run again with --wait 1, it waits for the same transaction and exits 3 when the wait ends before it is final', async () => {
    const pay = await payment('FR0000120271');
    haltBlocks();
    const quick = await runCli([...pay.args, '--wait', '0'], local);
    const txid = /: ([0-9a-f]{64}) pending/.exec(quick.stdout)?.[1];
    expect([quick.code, quick.stdout, quick.stderr]).to.deep.equal([0, pay.said(txid!, undefined), '']);
    const shown = await runCli(['tx', txid!, '--json'], local);
    expect([shown.code, JSON.parse(shown.stdout)], shown.stderr).to.deep.equal([0, { txid, status: 'pending' }]);

    const waited = await runCli([...pay.args, '--wait', '1'], local);
    expect([waited.code, waited.stdout]).to.deep.equal([3, '']);
    const notFinal = `strongbox: transaction ${txid} is not final after 1 s: it waits in the member's mempool, and the chain has made no block for [0-9]+ s \\(since block [0-9]+\\)(: member [0-9] (reaches|hears from) only 3 of the 4 members \\(k of 5\\) a block needs.*; blocks resume once enough of them answer \\(\`strongbox status\` shows which\\))?; it may still become final \\(\`strongbox tx ${txid}\` says when; --wait <seconds> waits longer\\): run again while ${txid} is pending, the same command line builds this very transaction, which the chain applies once; once it is final, running it again sends another payment\n`;
    expect(waited.stderr).to.match(new RegExp(`^already submitted ${txid}, waiting for finality\\.*\n${notFinal}$`));

    resumeBlocks();
    const height = await finalHeight(txid!, 0);
    const final = await runCli(['tx', txid!], local);
    expect([final.code, final.stdout]).to.deep.equal([0, `${txid}: final at height ${height}, a transaction of kind transfer\n`]);
    const unknown = 'ab'.repeat(32);
    const notHeld = await runCli(['tx', unknown], local);
    expect([notHeld.code, notHeld.stdout, notHeld.stderr]).to.deep.equal([
      1,
      '',
      `strongbox: member at ${apiUrl(0)} does not know transaction ${unknown}: it never took it (not received, or refused), or it restarted since, which empties its pending transactions (another member may hold it)\n`,
    ]);
    await expectPaid(pay, 1n);
  });
});
