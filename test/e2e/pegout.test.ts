import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { payments, networks } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { Transaction as ScureTransaction } from '@scure/btc-signer';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { satsToBtc } from '../../watcher/btc-amount.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { buildPegout } from '../../federation/wallet/build-transfer.ts';
import { pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { startTestNetwork, eventually, type TestNetwork } from '../helpers/local-network.ts';
import { testWallet, type TestWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';

const ECPair = ECPairFactory(ecc);

function bitcoinAddress(): string {
  return payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest }).address!;
}

/** Burns on the sidechain become BTC at the named address: batched, signed by k members, paid once. */
describe('peg-out through five member processes and a real regtest node', function () {
  this.timeout(240_000);
  let net: TestNetwork;
  let faucet: Faucet;
  let rpc: BitcoinRpc;
  let folder: string;

  before(async () => {
    net = await startTestNetwork(5);
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
    folder = mkdtempSync(join(tmpdir(), 'strongbox-pegout-'));
    // Reserves large enough that no peg-out here trips the circuit breaker (a quarter of the reserves per hour).
    await fundedWallet(50_000_000n);
  });
  after(async () => {
    await net?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const btcBalance = async (address: string, client = net.clients[0]!) => (await client.balances(address)).find((b) => b.asset === BTC_ASSET_KEY)?.amount ?? 0n;

  /** Pegs `amount` sats in to a new wallet and writes its wallet file. */
  async function fundedWallet(amount: bigint): Promise<{ wallet: TestWallet; file: string }> {
    const wallet = testWallet();
    const depositAddress = (await Promise.all(net.clients.map((client) => client.registerDepositAddress(wallet.address))))[0]!;
    await faucet.fund(depositAddress, amount);
    await faucet.mine(2);
    // Tests read the wallet's coins from other members than 0: each must hold the mint.
    await eventually('the deposit minted on every member', async () => (await Promise.all(net.clients.map((client) => btcBalance(wallet.address, client)))).every((balance) => balance === amount), 60_000);
    const file = join(folder, `${wallet.address}.wallet.json`);
    writeFileSync(file, JSON.stringify({ version: 1, seed: Buffer.from(wallet.keys.seed).toString('hex') }), { mode: 0o600 });
    return { wallet, file };
  }

  /** What a Bitcoin transaction's inputs held, read from the transactions they spend. */
  async function valueSpent(tx: Awaited<ReturnType<BitcoinRpc['getRawTransaction']>>): Promise<bigint> {
    const values = await Promise.all(tx.ins.map(async (input) => BigInt((await rpc.getRawTransaction(Buffer.from(input.hash).reverse().toString('hex'))).outs[input.index]!.value)));
    return values.reduce((sum, value) => sum + value, 0n);
  }

  /** Mines until the Bitcoin transaction paying `burnTxid` has a confirmation; returns its txid. */
  async function settled(burnTxid: string): Promise<string> {
    const settling = await eventually('the burn settled and broadcast', async () => {
      const status = await net.clients[2]!.burnStatus(burnTxid);
      if (!status.bitcoinTxid) return false;
      return (await rpc.getTransactionConfirmations(status.bitcoinTxid)) !== null && status.bitcoinTxid;
    }, 60_000);
    await faucet.mine(1);
    return settling;
  }

  it('pays a burn to its Bitcoin address minus the published fee share, with exact change to the escrow', async () => {
    const { wallet, file } = await fundedWallet(1_000_000n);
    const [minted] = await net.clients[0]!.utxos(wallet.address);
    const destination = bitcoinAddress();
    const burned = await runCli(['pegout', '--to', destination, '--amount', '400000', '--file', file, '--json', '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    const burnTxid = (JSON.parse(burned.stdout) as { txid: string }).txid;
    expect(await btcBalance(wallet.address)).to.equal(600_000n);

    const bitcoinTxid = await settled(burnTxid);
    const paid = await rpc.getRawTransaction(bitcoinTxid);
    const destinationScript = pegoutDestinationScript(destination, networks.regtest, 'regtest');
    expect(paid.outs).to.have.length(2);
    expect(Buffer.from(paid.outs[0]!.script).equals(Buffer.from(destinationScript))).to.equal(true);
    const feeShare = 400_000n - BigInt(paid.outs[0]!.value);
    const policy = await net.clients[0]!.pegoutPolicy();
    const vsize = BigInt(paid.virtualSize());
    expect(feeShare >= vsize * BigInt(policy.feeRateSatPerVb) * 9n / 10n, `fee share ${feeShare} for ${vsize} vB`).to.equal(true);
    expect(feeShare <= vsize * BigInt(policy.feeRateSatPerVb) * 2n, `fee share ${feeShare} for ${vsize} vB`).to.equal(true);
    // The change returns to the escrow exactly what the escrow coins held beyond the burn.
    expect(BigInt(paid.outs[1]!.value)).to.equal((await valueSpent(paid)) - 400_000n);

    const status = await runCli(['pegout', 'status', burnTxid, '--json', '--member', net.network.network.members[4]!.apiUrl]);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.deep.include({ status: 'in-bitcoin', bitcoinTxid, destination, amountSats: '400000', vout: 0, paidSats: String(paid.outs[0]!.value), feeShareSats: String(feeShare) });
    // The burn's txid is taken in capitals too, and named as the chain writes it.
    const said = await runCli(['pegout', 'status', burnTxid.toUpperCase(), '--member', net.network.network.members[4]!.apiUrl]);
    expect(said.stdout).to.match(new RegExp(`^burn ${burnTxid}: `));
    const btc = (sats: bigint | number) => `${sats} sats \\(${satsToBtc(BigInt(sats)).replace('.', '\\.')} BTC\\)`;
    expect(said.stdout).to.match(new RegExp(`; ${btc(paid.outs[0]!.value)} paid to ${destination}, the burn of 400000 sats \\(0\\.00400000 BTC\\) less a fee share of ${btc(feeShare)}, by output 0 of Bitcoin transaction ${bitcoinTxid}, with \\d+ confirmations?\n$`));
    // The Bitcoin transaction that pays the burn, or another transaction of the chain, is not the burn: said so, with what the command takes.
    const takes = '`pegout status` takes the burn transaction id that `pegout` printed ("burned in …")';
    const ofBitcoin = await runCli(['pegout', 'status', bitcoinTxid, '--member', net.network.network.members[4]!.apiUrl]);
    expect([ofBitcoin.code, ofBitcoin.stderr]).to.deep.equal([1, `strongbox: no burn ${bitcoinTxid} on this chain: ${takes}, not the Bitcoin transaction that pays it\n`]);
    const txOfBitcoin = await runCli(['tx', bitcoinTxid, '--member', net.network.network.members[4]!.apiUrl]);
    expect([txOfBitcoin.code, txOfBitcoin.stderr]).to.deep.equal([
      1,
      `strongbox: ${bitcoinTxid} is a Bitcoin transaction, not one of the sidechain's: \`strongbox pegin status ${bitcoinTxid}\` follows a deposit it pays, and a peg-out is followed by its burn (\`strongbox pegout status <burn txid>\`)\n`,
    ]);
    // Followed as a deposit, the payment is named as the federation's, not sent on to a claim that would be refused.
    const asDeposit = await runCli(['pegin', 'status', bitcoinTxid, '--member', net.network.network.members[4]!.apiUrl]);
    expect(asDeposit.code).to.equal(1);
    expect(asDeposit.stderr).to.match(new RegExp(`^strongbox: ${bitcoinTxid} is the federation's payment of peg-outs, recorded on the sidechain by settlement [0-9a-f]{64} at height \\d+, not a deposit: \`strongbox pegout status <burn txid>\` follows a peg-out\n$`));
    const ofMint = await runCli(['pegout', 'status', minted!.txid, '--member', net.network.network.members[4]!.apiUrl]);
    expect([ofMint.code, ofMint.stderr]).to.deep.equal([1, `strongbox: ${minted!.txid} is a final transaction of kind pegin on this chain, not a burn: ${takes}\n`]);
  });

  it('hands out a PSBT that @scure/btc-signer finalizes into the very transaction the members broadcast', async () => {
    const { file } = await fundedWallet(300_000n);
    const burned = await runCli(['pegout', '--to', bitcoinAddress(), '--amount', '120000', '--file', file, '--json', '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    const burnTxid = (JSON.parse(burned.stdout) as { txid: string }).txid;
    const bitcoinTxid = await eventually('settlement with k signatures on every input', async () => {
      const status = await net.clients[1]!.burnStatus(burnTxid);
      if (!status.bitcoinTxid) return false;
      const view = await fetch(`${net.network.network.members[1]!.apiUrl}/pegout/settlements/${status.bitcoinTxid}`).then((r) => r.json() as Promise<{ signers: number[][] }>);
      return view.signers.every((signers) => signers.length >= net.genesis.members.threshold) && status.bitcoinTxid;
    }, 60_000);
    // Signed by k members is not yet broadcast: the block mined below must find it in the mempool.
    await eventually('the settlement broadcast', async () => (await rpc.getTransactionConfirmations(bitcoinTxid)) !== null, 60_000);
    const view = (await fetch(`${net.network.network.members[1]!.apiUrl}/pegout/settlements/${bitcoinTxid}`).then((r) => r.json())) as { psbt: string };
    const psbt = ScureTransaction.fromPSBT(Buffer.from(view.psbt, 'base64'));
    psbt.finalize();
    expect(psbt.id).to.equal(bitcoinTxid);
    await faucet.mine(1);
    // Members may finalize with another k of the signatures: same transaction, witnesses may differ.
    const onChain = await rpc.getRawTransaction(bitcoinTxid);
    const finalized = ScureTransaction.fromRaw(psbt.extract());
    expect(finalized.id).to.equal(onChain.getId());
    for (let index = 0; index < finalized.inputsLength; index++) {
      const witness = finalized.getInput(index).finalScriptWitness!;
      expect(witness, `input ${index}: empty item, k signatures, witness script`).to.have.length(net.genesis.members.threshold + 2);
      expect(Buffer.from(witness.at(-1)!).equals(Buffer.from(onChain.ins[index]!.witness.at(-1)!))).to.equal(true);
    }
  });

  it('batches burns that are final together into one Bitcoin transaction and pays each exactly once', async () => {
    const { wallet } = await fundedWallet(2_000_000n);
    // Twenty burns, each spending the previous one's change.
    let coins = await net.clients[0]!.utxos(wallet.address);
    const destinations = Array.from({ length: 20 }, () => bitcoinAddress());
    const scripts = destinations.map((address) => pegoutDestinationScript(address, networks.regtest, 'regtest'));
    const burns = scripts.map((script) => {
      const burn = buildPegout(net.genesis.chainId, wallet, coins, script, 50_000n);
      const change = burn.kind === 'pegout' ? burn.outputs[0] : undefined;
      coins = change ? [{ txid: txInfo(burn).idHex, vout: 0, asset: BTC_ASSET_KEY, amount: change.amount }] : [];
      return burn;
    });
    // One request, so all twenty wait in the mempool together and become final in one block.
    const submitted = await net.clients[0]!.submitMany(burns);
    expect(submitted.map((result) => result.status)).to.deep.equal(burns.map(() => 'pending'));
    const burnTxids = burns.map((burn) => txInfo(burn).idHex);
    await Promise.all(burnTxids.map((txid) => net.clients[0]!.waitForFinal(txid)));
    const bitcoinTxid = await settled(burnTxids[0]!);
    const statuses = await Promise.all(burnTxids.map((txid) => net.clients[3]!.burnStatus(txid)));
    expect(new Set(statuses.map((s) => s.bitcoinTxid))).to.deep.equal(new Set([bitcoinTxid]));
    const paid = await rpc.getRawTransaction(bitcoinTxid);
    // Change exists exactly when the escrow coins spent hold more than the burns (a coin may match them exactly).
    const spent = await valueSpent(paid);
    expect(spent >= 1_000_000n).to.equal(true);
    expect(paid.outs.length).to.equal(spent > 1_000_000n ? 21 : 20);
    if (spent > 1_000_000n) expect(BigInt(paid.outs[20]!.value)).to.equal(spent - 1_000_000n);
    // Burns are paid in chain order (height, then txid); each destination exactly once.
    const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(paid.outs.slice(0, 20).map((out) => hexOf(out.script)).sort()).to.deep.equal(scripts.map(hexOf).sort());
    expect(paid.outs.slice(0, 20).every((out) => out.value === paid.outs[0]!.value)).to.equal(true);
    // Each burn's status names the one output paying its own destination.
    expect(statuses.map((s) => s.vout).sort((a, b) => a! - b!)).to.deep.equal([...Array(20).keys()]);
    for (const [index, status] of statuses.entries()) {
      expect(hexOf(paid.outs[status.vout!]!.script), `burn ${index}`).to.equal(hexOf(scripts[index]!));
      expect(status.paidSats, `burn ${index}`).to.equal(String(paid.outs[status.vout!]!.value));
    }
    await faucet.mine(3);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Nothing paid twice: no second transaction pays any of the destinations.
    const again = await Promise.all(burnTxids.map((txid) => net.clients[0]!.burnStatus(txid)));
    expect(new Set(again.map((s) => s.bitcoinTxid))).to.deep.equal(new Set([bitcoinTxid]));

    // The list of burns pages through every one of them once, newest first, each with its payment.
    const listed: { txid: string; height: number; bitcoinTxid?: string; confirmations?: number }[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = (await fetch(`${net.network.network.members[2]!.apiUrl}/pegout/burns?limit=7${cursor ? `&cursor=${cursor}` : ''}`).then((r) => r.json())) as { burns: typeof listed; next: string | null };
      listed.push(...page.burns);
      cursor = page.next;
    }
    expect(new Set(listed.map((burn) => burn.txid)).size).to.equal(listed.length);
    expect(listed.map((burn) => burn.height)).to.deep.equal(listed.map((burn) => burn.height).sort((a, b) => b - a));
    for (const txid of burnTxids) expect(listed.find((burn) => burn.txid === txid)).to.deep.include({ bitcoinTxid, status: 'in-bitcoin' });
  });

  it('refuses a wrong-network address and an amount below the minimum before anything is burned', async () => {
    const { wallet, file } = await fundedWallet(100_000n);
    const common = ['--file', file, '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!];
    const mainnetAddress = payments.p2wpkh({ pubkey: ECPair.makeRandom().publicKey, network: networks.bitcoin }).address!;
    const wrongNetwork = await runCli(['pegout', '--to', mainnetAddress, '--amount', '50000', ...common]);
    expect(wrongNetwork.code).to.equal(1);
    expect(wrongNetwork.stderr).to.equal(`strongbox: "${mainnetAddress}" is not a Bitcoin address on regtest (it is a mainnet address)\n`);
    const sidechainAddress = await runCli(['pegout', '--to', wallet.address, '--amount', '50000', ...common]);
    expect(sidechainAddress.stderr).to.equal(`strongbox: ${wallet.address} is a Strongbox address: a peg-out pays a Bitcoin address, and pegged BTC moves on the sidechain with \`strongbox send\`\n`);
    const tooSmall = await runCli(['pegout', '--to', bitcoinAddress(), '--amount', '9999', ...common]);
    expect(tooSmall.code).to.equal(1);
    expect(tooSmall.stderr).to.match(/below the federation's minimum of 10000/);
    const garbage = await runCli(['pegout', '--to', 'not-an-address', '--amount', '50000', ...common]);
    expect(garbage.code).to.equal(1);
    expect(await btcBalance(wallet.address)).to.equal(100_000n);
  });

  it("refuses through the API a burn built without the CLI to the federation's escrow or operations wallet, with a 400 saying which, and nothing is burned", async () => {
    const { wallet } = await fundedWallet(100_000n);
    const url = net.network.network.members[1]!.apiUrl;
    const coins = await net.clients[1]!.utxos(wallet.address);
    const escrow = sortedMultisig(net.genesis.members.threshold, net.genesis.pegKeys);
    const owned = [
      { multisig: escrow, what: "the federation's escrow: BTC paid there is no one's deposit and is never minted again" },
      { multisig: opsWalletMultisig(escrow), what: "the federation's operations wallet, which pays for anchors" },
    ];
    for (const { multisig, what } of owned) {
      const burn = buildPegout(net.genesis.chainId, wallet, coins, multisig.scriptPubKey, 50_000n);
      const answer = await fetch(`${url}/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hex: Buffer.from(encodeTransaction(burn)).toString('hex') }) });
      const error = { code: 'federation-destination', message: `${multisig.address(networks.regtest)} is ${what}; a peg-out pays a Bitcoin address of your own` };
      expect([answer.status, await answer.json()]).to.deep.equal([400, { error }]);
      expect(await net.clients[1]!.submitMany([burn])).to.deep.equal([{ status: 'refused', error }]);
      expect((await fetch(`${url}/tx/${txInfo(burn).idHex}`)).status).to.equal(404);
    }
    expect(await btcBalance(wallet.address)).to.equal(100_000n);
  });

  it('exports a burn proof that verifies offline against the genesis, and rejects a tampered one or one of another transaction', async () => {
    const { file } = await fundedWallet(200_000n);
    const destination = bitcoinAddress();
    // Given in capitals with a space pasted after it, the address is named as Bitcoin writes it.
    const burned = await runCli(['pegout', '--to', `${destination.toUpperCase()} `, '--amount', '60000', '--file', file, '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    // What was burned, for which address, and how to follow it, as send says what it sent.
    const said = new RegExp(`^burned 60000 sats of pegged BTC \\(0\\.00060000 BTC\\) for ${destination}: ([0-9a-f]{64}) final at height \\d+; follow it with: strongbox pegout status \\1\n$`).exec(burned.stdout);
    expect(said, burned.stdout).to.not.equal(null);
    const burnTxid = said![1]!;
    const proofFile = join(folder, 'burn.proof.json');
    const exported = await runCli(['proof', burnTxid, '--out', proofFile, '--json', '--member', net.network.network.members[2]!.apiUrl]);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(JSON.parse(exported.stdout)).to.deep.equal({ txid: burnTxid, file: proofFile });
    const verified = await runCli(['verify-proof', proofFile, '--json', '--genesis', net.network.network.genesisFile!]);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(JSON.parse(verified.stdout)).to.deep.include({ valid: true, txid: burnTxid });
    const human = await runCli(['verify-proof', proofFile, '--txid', burnTxid, '--genesis', net.network.network.genesisFile!]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^valid: transaction ${burnTxid} \\(pegout\\) is final at height \\d+ in block [0-9a-f]{64}\nburn: 60000 sats \\(0\\.00060000 BTC\\) to ${destination}\n$`));
    const otherTxid = 'ab'.repeat(32);
    const notThatOne = await runCli(['verify-proof', proofFile, '--txid', otherTxid, '--genesis', net.network.network.genesisFile!]);
    expect([notThatOne.code, notThatOne.stderr]).to.deep.equal([1, `strongbox: ${proofFile} proves transaction ${burnTxid}, not ${otherTxid}\n`]);
    // An id the chain does not know (the Bitcoin transaction paying a burn, say) has no proof: said so.
    const ofNothing = await runCli(['proof', otherTxid, '--member', net.network.network.members[2]!.apiUrl]);
    expect([ofNothing.code, ofNothing.stdout, ofNothing.stderr]).to.deep.equal([1, '', `strongbox: no transaction ${otherTxid} on this chain: a proof is of a sidechain transaction (the txid send or pegout printed), not of a Bitcoin one\n`]);
    // A member answering with the proof of another transaction than the one asked for is caught before the file is written.
    const proofJson = readFileSync(proofFile, 'utf8');
    const lying = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(proofJson));
    await new Promise<void>((resolve) => lying.listen(0, '127.0.0.1', resolve));
    try {
      const lyingUrl = `http://127.0.0.1:${(lying.address() as AddressInfo).port}`;
      const wrong = await runCli(['proof', otherTxid, '--out', join(folder, 'wrong.proof.json'), '--member', lyingUrl]);
      expect([wrong.code, wrong.stderr]).to.deep.equal([1, `strongbox: the member at ${lyingUrl} answered with the proof of transaction ${burnTxid}, not ${otherTxid}\n`]);
    } finally {
      await new Promise((resolve) => lying.close(resolve));
    }
    // A proof written to a file that exists is refused, naming it, and the file keeps what it held; --force replaces it.
    const kept = join(folder, 'kept.proof.json');
    writeFileSync(kept, 'a proof kept\n');
    const exportTo = (...extra: string[]) => runCli(['proof', burnTxid, '--out', kept, ...extra, '--member', net.network.network.members[2]!.apiUrl]);
    const refused = await exportTo();
    expect([refused.code, refused.stdout, refused.stderr]).to.deep.equal([1, '', `strongbox: ${kept} already exists; refusing to overwrite it (add --force to replace it, or choose another --out)\n`]);
    expect(readFileSync(kept, 'utf8')).to.equal('a proof kept\n');
    const forced = await exportTo('--force');
    expect([forced.code, forced.stdout, forced.stderr, readFileSync(kept, 'utf8')]).to.deep.equal([0, `wrote ${kept}\n`, '', proofJson]);

    const proof = JSON.parse(readFileSync(proofFile, 'utf8')) as { transaction: string };
    // One bit of the burn's last signature byte changed: its witness id no longer leads to the certified root.
    const last = parseInt(proof.transaction.slice(-2), 16) ^ 1;
    const tampered = { ...proof, transaction: proof.transaction.slice(0, -2) + last.toString(16).padStart(2, '0') };
    const tamperedFile = join(folder, 'tampered-proof.json');
    writeFileSync(tamperedFile, JSON.stringify(tampered));
    const rejected = await runCli(['verify-proof', tamperedFile, '--genesis', net.network.network.genesisFile!]);
    expect(rejected.code).to.equal(1);
    expect(rejected.stderr.trim().split('\n')).to.have.length(1);
    expect(rejected.stderr).to.match(/proof|Merkle|root/i);
    const rejectedJson = await runCli(['verify-proof', tamperedFile, '--json', '--genesis', net.network.network.genesisFile!]);
    expect(rejectedJson.code).to.equal(1);
    const verdict = JSON.parse(rejectedJson.stdout) as { valid: boolean; error: { code: string; message: string } };
    expect(verdict.valid).to.equal(false);
    expect(`strongbox: ${verdict.error.message}\n`).to.equal(rejected.stderr);
  });

  it('holds a burn above the circuit breaker until the operators of k members approve it, paying smaller burns meanwhile', async () => {
    const { file } = await fundedWallet(100_000_000n);
    const { file: smallFile } = await fundedWallet(300_000n);
    const policy = await net.clients[0]!.pegoutPolicy();
    // One whole BTC is far more than a quarter of the reserves in an hour.
    expect(100_000_000n * 10_000n > BigInt(policy.reservesSats) * 2_500n).to.equal(true);
    const burned = await runCli(['pegout', '--to', bitcoinAddress(), '--amount', '100000000', '--file', file, '--json', '--member', net.network.network.members[0]!.apiUrl, '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    const burnTxid = (JSON.parse(burned.stdout) as { txid: string }).txid;
    // Said as it is burned, so the user knows why the payment does not come.
    expect(burned.stderr).to.match(/^note: 100000000 sats is more than the circuit breaker lets the federation pay out in an hour \(\d+ sats\): the burn will wait until the operators of k members approve it\n/);
    const heldBy = async (member: number) => ((await fetch(`${net.network.network.members[member]!.apiUrl}/pegout/policy`).then((r) => r.json())) as { heldForApproval: string[] }).heldForApproval;
    const holder = await eventually(
      'a proposer held the batch',
      async () => {
        const held = await Promise.all(net.clients.map((_, member) => heldBy(member)));
        const index = held.findIndex((burns) => burns.includes(burnTxid));
        return index >= 0 && { index };
      },
      60_000,
    );
    // One burn beyond the breaker holds up no other: a small one made after it is paid meanwhile,
    // and every member, proposer or not, lists the big one as held.
    const small = await runCli(['pegout', '--to', bitcoinAddress(), '--amount', '200000', '--file', smallFile, '--json', '--member', net.network.network.members[1]!.apiUrl, '--genesis', net.network.network.genesisFile!]);
    expect(small.code, small.stderr).to.equal(0);
    const smallPayment = await rpc.getRawTransaction(await settled((JSON.parse(small.stdout) as { txid: string }).txid));
    expect(smallPayment.outs.some((out) => BigInt(out.value) > 99_000_000n)).to.equal(false);
    for (let member = 0; member < net.clients.length; member++) expect(await heldBy(member), `member ${member}`).to.deep.equal([burnTxid]);
    // The member that held it says so to the user, who would otherwise wait for a batch that does not come.
    const status = await runCli(['pegout', 'status', burnTxid, '--no-wait', '--member', net.network.network.members[holder.index]!.apiUrl]);
    expect(status.stdout).to.match(/final at height \d+, held by the circuit breaker \(above the hourly share of the reserves\) until the operators of a quorum of members approve it \(strongbox pegout approve\)\n$/);

    const config = (member: number) => join(net.network.dataDir, `member-${member}`, 'config.json');
    const unknown = await runCli(['pegout', 'approve', 'ab'.repeat(32), '--config', config(0)]);
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stderr).to.match(/not a final burn on this member/);
    // Member 1's config beside member 0's database (DATABASE_URL set for the wrong member) is
    // refused: the approval would count as member 0's operator's (approve(0) below finds none).
    const memberZeroDatabase = (JSON.parse(readFileSync(config(0), 'utf8')) as { databaseUrl: string }).databaseUrl;
    const crossed = await runCli(['pegout', 'approve', burnTxid, '--config', config(1)], { env: { DATABASE_URL: memberZeroDatabase } });
    expect([crossed.code, crossed.stdout, crossed.stderr]).to.deep.equal([
      1,
      '',
      `strongbox: databaseUrl: the database belongs to member 0 (${net.genesis.file.members[0]!.name}), not to member 1: give each member its own database (databaseUrl, DATABASE_URL or dataDir), and this config the genesis of its chain (genesisFile)\n`,
    ]);
    const threshold = net.genesis.members.threshold;
    // Approved by fewer than k operators, the batch cannot gather k votes.
    const approve = async (member: number) => {
      const approved = await runCli(['pegout', 'approve', burnTxid, '--config', config(member), '--json']);
      expect(approved.code, approved.stderr).to.equal(0);
      expect(JSON.parse(approved.stdout)).to.deep.equal({ approved: [burnTxid], alreadyApproved: [] });
    };
    await approve(0);
    // Approved again, it says that nothing changed rather than count a second approval.
    const again = await runCli(['pegout', 'approve', burnTxid.toUpperCase(), '--config', config(0)]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.equal(`already approved on this member, nothing changed: ${burnTxid}\n`);
    // The approving member says so, and that the batch still needs the approvals of others.
    await eventually('member 0 has read its approval', async () => (await net.clients[0]!.burnStatus(burnTxid)).approvedHere === true, 30_000);
    const approvedStatus = await runCli(['pegout', 'status', burnTxid, '--no-wait', '--member', net.network.network.members[0]!.apiUrl]);
    expect(approvedStatus.stdout).to.match(/final at height \d+, approved by this member's operator; paid once the operators of a quorum of members have approved it \(each member knows only its own approval\)\n$/);
    // Meanwhile the approving member asks for blocks to settle it only after growing pauses: a few
    // empty blocks while the federation waits, not one a second (nothing else is pending here).
    const waitFrom = (await net.clients[0]!.status()).height;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const blocksWhileWaiting = (await net.clients[0]!.status()).height - waitFrom;
    // Pauses of 2, 4 and 8 s: three asks in 10 s, one more block for slack; asking every block made 8 here.
    expect(blocksWhileWaiting, 'blocks made while the batch waited for approvals').to.be.at.most(4);
    for (let member = 1; member < threshold - 1; member++) await approve(member);
    // Approved by k − 1, the burn is not paid in the next block either (members 1 and 2 ask for
    // one as they read their approvals).
    const approvedShortOfK = (await net.clients[0]!.status()).height;
    await eventually('a block made after k − 1 approvals', async () => (await net.clients[0]!.status()).height > approvedShortOfK, 30_000);
    expect((await net.clients[0]!.burnStatus(burnTxid)).status).to.equal('final');

    const last = await runCli(['pegout', 'approve', burnTxid, '--config', config(threshold - 1)]);
    expect(last.code, last.stderr).to.equal(0);
    await eventually('the k-th member has read its approval', async () => (await net.clients[threshold - 1]!.burnStatus(burnTxid)).approvedHere === true, 30_000);
    const approvedByK = Math.max(...(await Promise.all(net.clients.map(async (client) => (await client.status()).height))));
    const bitcoinTxid = await settled(burnTxid);
    // The k-th approval is asked for at once, whatever pause the others' asks are in: the burn is
    // paid within the next three blocks (one being decided as the approval was read may lack it,
    // and one the member that did not approve proposes does).
    const record = (await fetch(`${net.network.network.members[0]!.apiUrl}/bitcoin-records/${bitcoinTxid}`).then((r) => r.json())) as { kind: string; height: number };
    expect(record.kind).to.equal('settlement');
    expect(record.height - approvedByK, 'blocks from the k-th approval to the one paying the burn').to.be.at.most(3);
    const paid = await rpc.getRawTransaction(bitcoinTxid);
    expect(paid.outs.some((out) => BigInt(out.value) > 99_000_000n && BigInt(out.value) < 100_000_000n)).to.equal(true);
    // Once a member has read the settlement, approving the burn there changes nothing, and says why.
    await eventually('member k has read the settlement', async () => (await net.clients[threshold]!.burnStatus(burnTxid)).bitcoinTxid === bitcoinTxid, 30_000);
    const late = await runCli(['pegout', 'approve', burnTxid, '--config', config(threshold)]);
    expect([late.code, late.stderr]).to.deep.equal([1, `strongbox: nothing to approve: burn ${burnTxid} is paid by Bitcoin transaction ${bitcoinTxid}\n`]);
  });
});
