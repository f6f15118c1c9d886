import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { testWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';
import { peggedBtcOnEveryMember } from '../helpers/pegged-btc.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';

/** BTC sent to a recipient's deposit address becomes pegged BTC on every member, exactly once. */
describe('peg-in through five member processes and a real regtest node', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let faucet: Faucet;
  let rpc: BitcoinRpc;

  before(async () => {
    net = await startTestNetwork(5);
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
  });
  after(() => net?.stop());

  const btcBalances = (address: string) => peggedBtcOnEveryMember(net, address);

  it('mints a deposit after the confirmation depth and not before, once per outpoint', async () => {
    const alice = testWallet();
    const registered = await runCli(['pegin-address', alice.address, '--json', '--genesis', net.network.network.genesisFile!, '--member', ...net.network.network.members.map((m) => m.apiUrl)]);
    expect(registered.code, registered.stderr).to.equal(0);
    const { depositAddress, confirmations } = JSON.parse(registered.stdout) as { depositAddress: string; confirmations: number };
    expect(depositAddress).to.match(/^bcrt1q/);
    expect(confirmations).to.equal(2);
    const offline = JSON.parse((await runCli(['pegin-address', alice.address, '--offline', '--json', '--genesis', net.network.network.genesisFile!])).stdout) as { depositAddress: string };
    expect(offline.depositAddress).to.equal(depositAddress);

    const dir = mkdtempSync(join(tmpdir(), 'strongbox-pegin-wallet-'));
    const walletFile = join(dir, 'alice.wallet.json');
    writeFileSync(walletFile, `${JSON.stringify({ version: 1, seed: Buffer.from(alice.keys.seed).toString('hex') })}\n`, { mode: 0o600 });
    const shown = async (...flags: string[]) => {
      const run = await runCli(['wallet', 'show', '--file', walletFile, '--member', net.network.network.members[2]!.apiUrl, ...flags]);
      expect(run.code, run.stderr).to.equal(0);
      return run.stdout;
    };

    const paid = await faucet.fund(depositAddress, 1_000_000n);
    await faucet.mine(1);
    const vout = (await rpc.getRawTransaction(paid)).outs.findIndex((out) => out.value === 1_000_000n);
    // The deposit is in no balance until it is minted: the wallet shows it on its way, with its confirmations.
    const onItsWay = `address: ${alice.address}\nbalances:\n  (no funds)\npeg-in deposits not minted yet (\`strongbox pegin status <Bitcoin txid>\` follows one):\n  1000000 sats (0.01000000 BTC) by output ${vout} of Bitcoin transaction ${paid}: 1 confirmation (2 needed)\n`;
    await eventually('member 2 has read the block that pays the deposit', async () => (await shown()) === onItsWay);
    expect(JSON.parse(await shown('--json'))).to.deep.equal({ address: alice.address, balances: [], depositsNotMinted: [{ txid: paid, vout, amountSats: '1000000', confirmations: 1, required: 2, state: 'confirming' }] });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await btcBalances(alice.address), 'nothing minted at 1 confirmation').to.deep.equal([0n, 0n, 0n, 0n, 0n]);

    await faucet.mine(1);
    const deadline = Date.now() + 30_000;
    while ((await btcBalances(alice.address)).some((balance) => balance !== 1_000_000n)) {
      if (Date.now() > deadline) throw new Error(`not minted on every member: ${await btcBalances(alice.address)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Minted, it is in the balance and no longer on its way.
    expect(await shown()).to.equal(`address: ${alice.address}\nbalances:\n  1000000 sats of pegged BTC (0.01000000 BTC)\n`);
    expect(JSON.parse(await shown('--json'))).to.deep.equal({ address: alice.address, balances: [{ asset: BTC_ASSET_KEY, amount: '1000000', name: 'pegged BTC', decimals: 8 }] });
    rmSync(dir, { recursive: true, force: true });

    await faucet.fund(depositAddress, 250_000n);
    await faucet.mine(3);
    const second = Date.now() + 30_000;
    while ((await btcBalances(alice.address)).some((balance) => balance !== 1_250_000n)) {
      if (Date.now() > second) throw new Error(`second deposit not minted on every member: ${await btcBalances(alice.address)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await faucet.mine(5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await btcBalances(alice.address), 'still exactly two mints').to.deep.equal(Array(5).fill(1_250_000n));
  });

  async function depositAddressFor(recipient: string): Promise<string> {
    const registered = await Promise.all(net.clients.map((client) => client.registerDepositAddress(recipient)));
    expect(new Set(registered).size).to.equal(1);
    return registered[0]!;
  }

  it('mints a deposit to an unregistered but derivable address once it is claimed, and reports its status', async () => {
    const erin = testWallet();
    // Given in capitals, the recipient is named as the chain writes it.
    const offline = JSON.parse((await runCli(['pegin-address', erin.address.toUpperCase(), '--offline', '--json', '--genesis', net.network.network.genesisFile!])).stdout) as { recipient: string; depositAddress: string };
    expect(offline.recipient).to.equal(erin.address);
    // Said plainly: nothing watches the address, so the payment waits for a claim.
    const said = await runCli(['pegin-address', erin.address, '--offline', '--genesis', net.network.network.genesisFile!]);
    expect(said.stdout.split('\n').slice(2)).to.deep.equal([`registered with no member (--offline): register it before paying it (strongbox pegin-address ${erin.address}); a payment made before that is minted only once claimed (strongbox pegin claim <bitcoin txid>:<output index> --to ${erin.address})`, '']);
    const txid = await faucet.fund(offline.depositAddress, 700_000n);
    await faucet.mine(2);
    const members = ['--member', ...net.network.network.members.map((m) => m.apiUrl)];
    const vout = (await rpc.getRawTransaction(txid)).outs.findIndex((out) => out.value === 700_000n);
    // Registered after its block was read, the payment is never seen by the members' followers:
    // `pegin status` says that it takes a claim, and how, rather than waiting for a mint that never comes.
    const tip = await rpc.getBlockCount();
    await eventually('every member has read the block that pays the deposit', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.bitcoin.height >= tip), 30_000);
    const unwatched = await runCli(['pegin', 'status', txid, '--member', net.network.network.members[1]!.apiUrl]);
    expect([unwatched.code, unwatched.stderr]).to.deep.equal([
      1,
      `strongbox: ${txid} pays no deposit address this member watches: a payment to an address from \`pegin-address --offline\` is minted once claimed (strongbox pegin claim ${txid}:<output index> --to <the sbx1… address>)\n`,
    ]);
    expect((await runCli(['pegin-address', erin.address, '--genesis', net.network.network.genesisFile!, ...members])).code).to.equal(0);
    const unseen = await runCli(['pegin', 'status', txid, '--member', net.network.network.members[1]!.apiUrl]);
    expect([unseen.code, unseen.stderr]).to.deep.equal([0, '']);
    expect(unseen.stdout).to.equal(
      `output ${vout}: 700000 sats (0.00700000 BTC) for ${erin.address}, 2 confirmations (2 needed), paid before its deposit address was registered with this member, which had already read its block: it is minted once claimed (strongbox pegin claim ${txid}:${vout} --to ${erin.address})\n`,
    );
    expect((await net.clients[1]!.depositStatus(txid)).deposits.map((deposit) => [deposit.minted, deposit.claimNeeded])).to.deep.equal([[false, true]]);
    const claimed = await runCli(['pegin', 'claim', `${txid}:${vout}`, '--to', erin.address, '--json', ...members]);
    expect(claimed.code, claimed.stderr).to.equal(0);
    expect(JSON.parse(claimed.stdout)).to.deep.include({ claimed: true, required: 2 });
    const status = await runCli(['pegin', 'status', txid, '--json', '--member', net.network.network.members[3]!.apiUrl]);
    expect(status.stderr).to.equal('');
    expect(status.code).to.equal(0);
    const { mintedIn, ...deposit } = (JSON.parse(status.stdout) as { deposits: { mintedIn: { txid: string; height: number } }[] }).deposits[0]!;
    expect([deposit]).to.deep.equal([{ vout, amountSats: '700000', recipient: erin.address, confirmations: 2, required: 2, minted: true, belowMinimum: false, claimNeeded: false }]);
    // The status names the sidechain transaction that minted the deposit, and the chain agrees.
    const mint = (await fetch(`${net.network.network.members[3]!.apiUrl}/tx/${mintedIn.txid}`).then((r) => r.json())) as { height: number; transaction: unknown };
    expect([mint.height, mint.transaction]).to.deep.equal([mintedIn.height, { kind: 'pegin', txid: mintedIn.txid, bitcoinTxid: txid, bitcoinVout: vout, amount: '700000', recipient: erin.address }]);
    // A txid is taken in capitals too, as asset ids and addresses are.
    const human = await runCli(['pegin', 'status', txid.toUpperCase(), '--member', net.network.network.members[3]!.apiUrl]);
    expect(human.stdout).to.equal(`output ${vout}: 700000 sats (0.00700000 BTC) for ${erin.address}, 2 confirmations (2 needed), minted in ${mintedIn.txid} at height ${mintedIn.height}\n`);
    // The mint's id is the sidechain's, not the Bitcoin transaction the command takes: said so.
    const ofMint = await runCli(['pegin', 'status', mintedIn.txid, '--member', net.network.network.members[3]!.apiUrl]);
    expect([ofMint.code, ofMint.stderr]).to.deep.equal([
      1,
      `strongbox: ${mintedIn.txid} is a final transaction of kind pegin on the sidechain, not a Bitcoin transaction: \`pegin status\` takes the Bitcoin transaction that paid the deposit address (the txid \`regtest fund\` printed)\n`,
    ]);
    expect(await btcBalances(erin.address)).to.deep.equal(Array(5).fill(700_000n));
    // Claimed again: it says the deposit is minted already, and nothing is minted twice.
    const again = await runCli(['pegin', 'claim', `${txid.toUpperCase()}:${vout}`, '--to', erin.address.toUpperCase(), ...members]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(`${txid}:${vout} is already minted: nothing to claim\n`);
    await faucet.mine(1);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await btcBalances(erin.address)).to.deep.equal(Array(5).fill(700_000n));
  });

  it('mints a deposit claimed before it has its confirmations once it has them, once, with no second claim', async () => {
    const ivan = testWallet();
    const { depositAddress } = JSON.parse((await runCli(['pegin-address', ivan.address, '--offline', '--json', '--genesis', net.network.network.genesisFile!])).stdout) as { depositAddress: string };
    const txid = await faucet.fund(depositAddress, 450_000n);
    await faucet.mine(1);
    const tip = await rpc.getBlockCount();
    await eventually('every member has read the block that pays the deposit', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.bitcoin.height >= tip), 30_000);
    const vout = (await rpc.getRawTransaction(txid)).outs.findIndex((out) => out.value === 450_000n);
    const members = ['--member', ...net.network.network.members.map((m) => m.apiUrl)];
    const claimed = await runCli(['pegin', 'claim', `${txid}:${vout}`, '--to', ivan.address, ...members]);
    expect([claimed.code, claimed.stderr, claimed.stdout]).to.deep.equal([0, '', `claimed by 5 members; the deposit has 1 confirmation and is minted once it has 2 (strongbox pegin status ${txid} follows it)\n`]);
    // Followed from the claim on, as a watched deposit is, and not minted below the depth.
    const early = await runCli(['pegin', 'status', txid, '--no-wait', '--member', net.network.network.members[1]!.apiUrl]);
    expect(early.stdout).to.equal(`output ${vout}: 450000 sats (0.00450000 BTC) for ${ivan.address}, 1 confirmation (2 needed), not minted yet\n`);
    expect(await btcBalances(ivan.address)).to.deep.equal(Array(5).fill(0n));

    await faucet.mine(1);
    const status = await runCli(['pegin', 'status', txid, '--member', net.network.network.members[2]!.apiUrl]);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.match(new RegExp(`^output ${vout}: 450000 sats \\(0\\.00450000 BTC\\) for ${ivan.address}, 2 confirmations \\(2 needed\\), minted in [0-9a-f]{64} at height \\d+\n$`));
    await eventually('minted on every member', async () => (await btcBalances(ivan.address)).every((balance) => balance === 450_000n), 30_000);
    // Taken by all five members, the claim is minted by one block, once.
    await faucet.mine(2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await btcBalances(ivan.address)).to.deep.equal(Array(5).fill(450_000n));
  });

  it('has a member that missed a deposit address registration watch it once a mint to it is final', async () => {
    const hana = testWallet();
    const registered = await Promise.all(net.clients.slice(0, 4).map((client) => client.registerDepositAddress(hana.address)));
    const txid = await faucet.fund(registered[0]!, 300_000n);
    await faucet.mine(2);
    await eventually('minted on every member', async () => (await btcBalances(hana.address)).every((balance) => balance === 300_000n), 30_000);
    const vout = (await rpc.getRawTransaction(txid)).outs.findIndex((out) => out.value === 300_000n);
    await eventually('member 4 answers for the deposit', async () => (await net.clients[4]!.depositStatus(txid).catch(() => null))?.deposits.length === 1, 10_000);
    const { mintedIn, ...deposit } = (await net.clients[4]!.depositStatus(txid)).deposits[0]!;
    expect([deposit]).to.deep.equal([{ vout, amountSats: '300000', recipient: hana.address, confirmations: 2, required: 2, minted: true, belowMinimum: false, claimNeeded: false }]);
    expect((await net.clients[4]!.transaction(mintedIn!.txid)).height).to.equal(mintedIn!.height);
  });

  it('says a deposit below the minimum will not be minted, rather than waiting for its mint', async () => {
    const gina = testWallet();
    const depositAddress = (await Promise.all(net.clients.map((client) => client.registerDepositAddress(gina.address))))[0]!;
    const minimum = BigInt(net.genesis.file.pegin.minimumSats);
    const txid = await faucet.fund(depositAddress, minimum - 1n);
    await faucet.mine(1);
    const member = net.network.network.members[2]!.apiUrl;
    const listDeposit = async () => {
      const { deposits } = (await (await fetch(`${member}/pegin/deposits`)).json()) as { deposits: { txid: string; state: string; confirmations: number; mintTxid: string | null }[] };
      return deposits.find((entry) => entry.txid === txid);
    };
    // Its amount decides it at once: counted as 'confirming', it would look as if a mint were coming.
    const shallow = await eventually('the member lists the deposit at its first confirmation', listDeposit);
    expect([shallow.state, shallow.confirmations]).to.deep.equal(['below-minimum', 1]);
    await faucet.mine(1);
    // Without --no-wait: it must return, since this deposit is never minted.
    const status = await runCli(['pegin', 'status', txid, '--member', member]);
    expect(status.code, status.stderr).to.equal(0);
    expect(status.stdout).to.match(new RegExp(`^output \\d+: ${minimum - 1n} sats \\(0\\.\\d{8} BTC\\) for ${gina.address}, 2 confirmations \\(2 needed\\), below the peg-in minimum of ${minimum} sats: it is not minted\n$`));
    const listed = await eventually('the member lists the deposit as below the minimum, deep', async () => {
      const deposit = await listDeposit();
      return deposit?.state === 'below-minimum' && deposit.confirmations === 2 && deposit;
    });
    expect(listed.mintTxid).to.equal(null);
    // Claimed anyway, it is refused with the minimum it falls short of.
    const vout = (await rpc.getRawTransaction(txid)).outs.findIndex((out) => out.value === minimum - 1n);
    const claimed = await runCli(['pegin', 'claim', `${txid}:${vout}`, '--to', gina.address, '--member', member]);
    expect([claimed.code, claimed.stderr]).to.deep.equal([1, `strongbox: mint of ${txid}:${vout}: ${minimum - 1n} sats is below the peg-in minimum of ${minimum} sats, so it is never minted\n`]);
    expect(await btcBalances(gina.address)).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
  });

  it('refuses a claim for an output that does not pay the named recipient, or without an output index, saying what to check', async () => {
    const frank = testWallet();
    const mallory = testWallet();
    const offline = JSON.parse((await runCli(['pegin-address', frank.address, '--offline', '--json', '--genesis', net.network.network.genesisFile!])).stdout) as { depositAddress: string };
    const txid = await faucet.fund(offline.depositAddress, 300_000n);
    await faucet.mine(2);
    const vout = (await rpc.getRawTransaction(txid)).outs.findIndex((out) => out.value === 300_000n);
    const refused = await runCli(['pegin', 'claim', `${txid}:${vout}`, '--to', mallory.address, '--member', net.network.network.members[0]!.apiUrl]);
    expect([refused.code, refused.stderr]).to.deep.equal([
      1,
      `strongbox: output ${txid}:${vout} does not pay the deposit address of ${mallory.address}: check --to and the output index (\`strongbox pegin-address ${mallory.address} --offline\` prints that address)\n`,
    ]);
    const noIndex = await runCli(['pegin', 'claim', txid, '--to', frank.address, '--member', net.network.network.members[0]!.apiUrl]);
    expect([noIndex.code, noIndex.stderr]).to.deep.equal([1, `strongbox: the deposit must be given as <bitcoin txid>:<output index> (the position of the payment in the transaction; 0 for regtest fund), got "${txid}"\n`]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await btcBalances(mallory.address)).to.deep.equal([0n, 0n, 0n, 0n, 0n]);
  });

  it('mints nothing for a deposit a reorg removes before the depth, then exactly once for its replacement', async () => {
    const bob = testWallet();
    const depositAddress = await depositAddressFor(bob.address);
    await faucet.fund(depositAddress, 300_000n);
    const [blockWithDeposit] = await faucet.mine(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await rpc.invalidateBlock(blockWithDeposit!);
    await faucet.mine(3);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await btcBalances(bob.address), 'the removed deposit is never minted').to.deep.equal([0n, 0n, 0n, 0n, 0n]);

    await faucet.fund(depositAddress, 400_000n);
    await faucet.mine(2);
    const deadline = Date.now() + 30_000;
    while ((await btcBalances(bob.address)).some((balance) => balance !== 400_000n)) {
      if (Date.now() > deadline) throw new Error(`replacement not minted on every member: ${await btcBalances(bob.address)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('halts minting and says so when a reorg reaches deeper than the confirmation depth', async () => {
    const carol = testWallet();
    const depositAddress = await depositAddressFor(carol.address);
    const carolDeposit = await faucet.fund(depositAddress, 500_000n);
    const [blockWithDeposit] = await faucet.mine(1);
    await faucet.mine(2);
    const deadline = Date.now() + 30_000;
    while ((await btcBalances(carol.address)).some((balance) => balance !== 500_000n)) {
      if (Date.now() > deadline) throw new Error('deposit not minted');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Every member's follower has seen the deposit buried at the confirmation depth.
    const tip = await rpc.getBlockCount();
    const seen = Date.now() + 30_000;
    while (
      (await Promise.all(net.clients.map(async (client) => ((await (await fetch(`${client.baseUrl}/status`)).json()) as { bitcoin: { height: number } }).bitcoin.height))).some(
        (height) => height < tip,
      )
    ) {
      if (Date.now() > seen) throw new Error('followers did not reach the tip');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The drill of docs/OPERATOR.md: the deposit's block and the two above it replaced by four others.
    const reorg = await runCli(['regtest', 'reorg', '3', '--rpc', net.network.network.bitcoinRpcUrl, '--json']);
    expect(reorg.code, reorg.stderr).to.equal(0);
    const replaced = JSON.parse(reorg.stdout) as { invalidated: string; oldTip: { height: number }; newTip: { height: number; hash: string }; blocks: string[] };
    expect([replaced.invalidated, replaced.oldTip.height, replaced.newTip.height, replaced.blocks.length]).to.deep.equal([blockWithDeposit, tip, tip + 1, 4]);
    expect(await rpc.getBestBlockHash()).to.equal(replaced.newTip.hash);
    const halted = Date.now() + 30_000;
    for (;;) {
      const statuses = await Promise.all(net.clients.map(async (client) => ((await (await fetch(`${client.baseUrl}/status`)).json()) as { bitcoin: { mintingHalted: boolean } }).bitcoin));
      if (statuses.every((status) => status.mintingHalted)) break;
      if (Date.now() > halted) throw new Error(`members did not halt minting: ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const shown = await runCli(['status', '--member', net.network.network.members[0]!.apiUrl]);
    expect(shown.stdout).to.match(/\nbitcoin  block \d+ read; minting halted after a deep Bitcoin reorg until operators resume it \(strongbox pegin resume --config <member config>\)\n$/);
    // Asked about the deposit the reorg removed (the regtest node does not take its transaction
    // back into the mempool), a member says the chain minted it and a reorg removed it.
    const removed = await runCli(['pegin', 'status', carolDeposit, '--member', net.network.network.members[0]!.apiUrl]);
    expect(removed.code).to.equal(1);
    expect(removed.stderr).to.match(new RegExp(`^strongbox: this member's Bitcoin node does not know transaction ${carolDeposit}, though the chain minted it \\(output \\d+ in [0-9a-f]{64} at height \\d+\\): a Bitcoin reorg has removed it; a reorg deeper than the confirmations required halts minting until the operators resume it\n$`));
    const dave = testWallet();
    await faucet.fund(await depositAddressFor(dave.address), 200_000n);
    await faucet.mine(3);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await btcBalances(dave.address), 'no mint while halted').to.deep.equal([0n, 0n, 0n, 0n, 0n]);

    // Each operator reviews the revoked deposit and resumes its own member; the waiting deposit is then minted once.
    const config = (member: number) => join(net.network.dataDir, `member-${member}`, 'config.json');
    for (let member = 0; member < net.clients.length; member++) {
      const resumed = await runCli(['pegin', 'resume', '--config', config(member), '--json']);
      expect(resumed.code, resumed.stderr).to.equal(0);
      const answer = JSON.parse(resumed.stdout) as { requested: boolean; revoked: { outpoint: string; amountSats: string }[] };
      expect(answer.requested).to.equal(true);
      expect(answer.revoked.map((deposit) => [deposit.outpoint.split(':')[0], deposit.amountSats])).to.deep.equal([[carolDeposit, '500000']]);
    }
    const resumedAt = Date.now() + 30_000;
    while ((await btcBalances(dave.address)).some((balance) => balance !== 200_000n)) {
      if (Date.now() > resumedAt) throw new Error('the waiting deposit was not minted after resuming');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Each member takes its operator's request on its next step; four of five suffice for the mint above.
    const halts = () => Promise.all(net.clients.map(async (client) => ((await (await fetch(`${client.baseUrl}/status`)).json()) as { bitcoin: { mintingHalted: boolean } }).bitcoin.mintingHalted));
    const everyResumed = Date.now() + 30_000;
    let statuses = await halts();
    while (statuses.some((halted) => halted) && Date.now() < everyResumed) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      statuses = await halts();
    }
    expect(statuses).to.deep.equal([false, false, false, false, false]);
    const again = await runCli(['pegin', 'resume', '--config', config(0)]);
    expect(again.code).to.not.equal(0);
    expect(again.stderr.trim()).to.match(/^strongbox: .*minting is not halted on this member/);
  });

  it('registers a deposit address, with no local network, with the members the genesis lists, else the one $STRONGBOX_MEMBER_URL names, else says what to give', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'strongbox-pegin-members-'));
    try {
      const members = net.network.network.members.map((member) => member.apiUrl);
      const genesisFile = net.network.network.genesisFile!;
      // API addresses are hints outside the chain id: a copy listing them is the same chain's genesis.
      const listing = join(folder, 'genesis.json');
      const file = JSON.parse(readFileSync(genesisFile, 'utf8')) as { members: { apiUrl?: string }[] };
      writeFileSync(listing, JSON.stringify({ ...file, members: file.members.map((member, index) => ({ ...member, apiUrl: members[index] })) }));
      const away = { STRONGBOX_HOME: join(folder, 'no-network'), STRONGBOX_MEMBER_URL: '' };
      const registeredWith = async (args: string[], env: NodeJS.ProcessEnv) => {
        const result = await runCli(['pegin-address', testWallet().address, '--json', ...args], { env });
        expect(result.code, result.stderr).to.equal(0);
        return (JSON.parse(result.stdout) as { registeredWith: string[] }).registeredWith;
      };

      expect(await registeredWith(['--genesis', listing], away)).to.deep.equal(members);
      expect(await registeredWith(['--genesis', genesisFile], { ...away, STRONGBOX_MEMBER_URL: members[2] })).to.deep.equal([members[2]]);
      const none = await runCli(['pegin-address', testWallet().address, '--genesis', genesisFile], { env: away });
      expect(none.code).to.equal(1);
      expect(none.stderr).to.equal(`strongbox: --member: no member to ask: no local network at ${away.STRONGBOX_HOME}, and the genesis lists no member API addresses; name the members with --member <url...>\n`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('publishes the same escrow descriptor on every member', async () => {
    const escrows = await Promise.all(net.clients.map(async (client) => ((await fetch(`${client.baseUrl}/escrow`)).json()) as Promise<{ descriptor: string; threshold: number }>));
    expect(new Set(escrows.map((e) => e.descriptor)).size).to.equal(1);
    expect(escrows[0]!.descriptor).to.match(/^wsh\(sortedmulti\(4,(0[23][0-9a-f]{64},){4}0[23][0-9a-f]{64}\)\)#[a-z0-9]{8}$/);
  });
});
