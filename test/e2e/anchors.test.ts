import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { address as btcAddress, networks, payments, type Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import type { AnchorView } from '../../federation/api/client.ts';
import { startTestNetwork, eventually, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';
import { MAX_UNCONFIRMED_ANCESTORS } from '../../federation/member/federation-signer.ts';
import { runCli } from '../helpers/cli.ts';
import { pegIn } from '../helpers/pegged-btc.ts';
import { anyTestFailed, restartMember, stopKeepingFolderOnFailure } from '../helpers/faults.ts';

const ECPair = ECPairFactory(ecc);
/** Anchors are due this long after activity; intervalBlocks is out of reach, so the seconds decide. */
const INTERVAL_SECONDS = 1;
/**
 * How long a member lets a federation transaction wait in its mempool before it proposes a bump:
 * the two bump cases wait it out; the cases before them mine the anchor they wait for as soon as
 * it is in the mempool. The chain-limit case runs on members started again without bumps.
 */
const BUMP_AFTER_SECONDS = 4;
/**
 * How long the chain-limit test waits for the next anchor while the chain is short of its limit.
 * Each anchor is a few rounds of consensus and signing on five members, 3-8 s apart at a load
 * average of 46-49 and further apart the busier the machine: the test is given this much from
 * each anchor on rather than one time for all of them (TESTING.md, 2026-12-07).
 */
const ANCHOR_WAIT_MS = 60_000;

const outpointOf = (tx: BitcoinTransaction, index: number) => `${Buffer.from(tx.ins[index]!.hash).reverse().toString('hex')}:${tx.ins[index]!.index}`;

/** The OP_RETURN of an anchor read with nothing but byte slicing: magic, chain prefix, height (u32 BE), block hash. */
function readAnchorOutput(tx: BitcoinTransaction): { magic: string; chainPrefix: string; height: number; blockHash: string; scriptLength: number } {
  const nullData = tx.outs.filter((out) => out.script[0] === 0x6a);
  expect(nullData, 'exactly one OP_RETURN output').to.have.length(1);
  expect(nullData[0]!.value).to.equal(0n);
  const script = Buffer.from(nullData[0]!.script);
  expect(script[1], 'one direct push of 44 bytes').to.equal(44);
  const data = script.subarray(2);
  expect(data.length).to.equal(44);
  return { magic: data.subarray(0, 4).toString('ascii'), chainPrefix: data.subarray(4, 8).toString('hex'), height: data.readUInt32BE(8), blockHash: data.subarray(12, 44).toString('hex'), scriptLength: script.length };
}

/** Anchoring on five member processes and a real regtest node, from an operations wallet the operator funds. */
describe('anchors into Bitcoin from the federation operations wallet', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let rpc: BitcoinRpc;
  let faucet: Faucet;
  let opsAddress: string;
  let folder: string;

  before(async () => {
    net = await startTestNetwork(5, {
      // No peg-in fee: the escrow holds exactly what users are owed, so a peg-out bump can only be paid by the operations wallet.
      genesis: (file) => ({ ...file, pegin: { ...file.pegin, feeSats: '0' }, anchor: { intervalBlocks: 1_000, intervalSeconds: INTERVAL_SECONDS } }),
      // The peg-out case bumps a lone burn's settlement: nothing is batched with it.
      memberEnv: { ...UNBATCHED_PEGOUTS, STRONGBOX_FEE_BUMP_AFTER_SECONDS: String(BUMP_AFTER_SECONDS) },
    });
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
    folder = mkdtempSync(join(tmpdir(), 'strongbox-anchors-'));
  });
  after(async function () {
    await stopKeepingFolderOnFailure(net, anyTestFailed(this.test?.parent));
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const url = (member: number) => net.network.network.members[member]!.apiUrl;
  const anchors = async (member = 0): Promise<AnchorView[]> => (await net.clients[member]!.anchors({ limit: 1_000 })).anchors;
  const blockHashAt = async (height: number) => ((await fetch(`${url(1)}/blocks?cursor=${height}&limit=1`).then((r) => r.json())) as { blocks: { hash: string }[] }).blocks[0]!.hash;

  /** Sidechain activity: a deposit pegged in and minted to a new wallet, whose file is written. */
  async function pegInWallet(amount: bigint): Promise<string> {
    const wallet = testWallet();
    await pegIn(net, [{ address: wallet.address, sats: amount }]);
    const file = join(folder, `${wallet.address}.wallet.json`);
    writeFileSync(file, JSON.stringify({ version: 1, seed: Buffer.from(wallet.keys.seed).toString('hex') }), { mode: 0o600 });
    return file;
  }

  /**
   * The first anchor of a height above `above` once its transaction is on the node: the oldest
   * record (they come newest first), not a CPFP child a member may already have added to it.
   */
  async function nextAnchor(above: number): Promise<AnchorView> {
    return eventually('an anchor of the new activity in the mempool', async () => {
      const found = (await anchors()).filter((anchor) => anchor.height > above).at(-1);
      return found && (await rpc.getTransactionConfirmations(found.bitcoinTxid)) !== null && found;
    }, 90_000);
  }

  it('funds the operations wallet with strongbox anchor fund, at the address every member and strongbox info publish', async () => {
    const funded = await runCli(['anchor', 'fund', '--amount', '0.01', '--genesis', net.network.network.genesisFile!, '--rpc', net.network.network.bitcoinRpcUrl, '--json']);
    expect(funded.code, funded.stderr).to.equal(0);
    const result = JSON.parse(funded.stdout) as { chainId: string; address: string; descriptor: string; txid: string; amountSats: string };
    expect(result.amountSats).to.equal('1000000');
    expect(result.chainId).to.equal(Buffer.from(net.genesis.chainId).toString('hex'));
    opsAddress = result.address;
    for (const client of net.clients) expect((await client.opsWallet()).address).to.equal(opsAddress);
    const info = await runCli(['info', '--genesis', net.network.network.genesisFile!, '--json']);
    const published = JSON.parse(info.stdout) as { escrow: { address: string }; opsWallet: { address: string; descriptor: string } };
    expect(published.opsWallet).to.deep.equal({ address: opsAddress, descriptor: result.descriptor });
    expect(published.opsWallet.address).to.not.equal(published.escrow.address);
    const funding = await rpc.getRawTransaction(result.txid);
    expect(funding.outs.some((out) => out.value === 1_000_000n && btcAddress.fromOutputScript(out.script, networks.regtest) === opsAddress)).to.equal(true);
    await faucet.mine(1);
    await eventually('every member sees the funding', async () => (await Promise.all(net.clients.map((client) => client.opsWallet()))).every((wallet) => wallet.balanceSats === '1000000'), 30_000);
  });

  let first: AnchorView;
  it('anchors the tip once the interval passes after activity: one transaction, one OP_RETURN of exactly the 44-byte layout', async () => {
    const before = (await net.clients[0]!.status()).height;
    await pegInWallet(200_000n);
    first = await nextAnchor(before);
    await faucet.mine(1);
    const tx = await rpc.getRawTransaction(first.bitcoinTxid);
    const payload = readAnchorOutput(tx);
    expect(payload).to.deep.equal({ magic: 'SBX1', chainPrefix: Buffer.from(net.genesis.chainId.subarray(0, 4)).toString('hex'), height: first.height, blockHash: first.blockHash, scriptLength: 46 });
    expect(payload.blockHash).to.equal(await blockHashAt(first.height));
    // One ops-wallet input (the funding), the OP_RETURN, change back to the ops wallet.
    expect(tx.ins).to.have.length(1);
    expect(tx.outs).to.have.length(2);
    expect(btcAddress.fromOutputScript(tx.outs[1]!.script, networks.regtest)).to.equal(opsAddress);
    const spent = await rpc.getRawTransaction(outpointOf(tx, 0).split(':')[0]!);
    expect(btcAddress.fromOutputScript(spent.outs[tx.ins[0]!.index]!.script, networks.regtest)).to.equal(opsAddress);
    expect(await rpc.getTransactionConfirmations(first.bitcoinTxid)).to.be.at.least(1);
  });

  it('does not re-anchor an idle chain', async () => {
    const count = (await anchors()).length;
    const last = (await anchors())[0]!;
    // Three intervals with nothing new final: no anchor record, and no block after it holds any transaction.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_SECONDS * 1000));
    expect(await anchors()).to.have.length(count);
    const blocks = ((await fetch(`${url(0)}/blocks?limit=1000`).then((r) => r.json())) as { blocks: { height: number; txCount: number }[] }).blocks;
    expect(blocks.filter((block) => block.height > last.recordHeight && block.txCount > 0)).to.deep.equal([]);
  });

  let second: AnchorView;
  it('anchors new activity with a transaction spending the previous anchor\'s change', async () => {
    await pegInWallet(150_000n);
    second = await nextAnchor(first.height);
    await faucet.mine(1);
    const tx = await rpc.getRawTransaction(second.bitcoinTxid);
    expect(readAnchorOutput(tx).height).to.equal(second.height);
    expect(outpointOf(tx, 0)).to.equal(`${first.bitcoinTxid}:1`);
  });

  it('strongbox anchors lists every anchor with its height, block hash, Bitcoin txid and confirmations', async () => {
    const listed = await runCli(['anchors', '--member', url(3), '--json']);
    expect(listed.code, listed.stderr).to.equal(0);
    const rows = (JSON.parse(listed.stdout) as { anchors: AnchorView[] }).anchors;
    const byTxid = new Map(rows.map((row) => [row.bitcoinTxid, row]));
    for (const anchor of [first, second]) {
      expect(byTxid.get(anchor.bitcoinTxid)).to.include({ height: anchor.height, blockHash: anchor.blockHash });
      expect(byTxid.get(anchor.bitcoinTxid)!.confirmations).to.be.at.least(1);
    }
    const human = await runCli(['anchors', '--member', url(2)]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.contain(second.bitcoinTxid).and.to.contain(second.blockHash);
    expect(human.stdout).to.match(/ confirmations\n/).and.to.match(new RegExp(`${second.bitcoinTxid} +\\d+$`, 'm'));
  });

  it('passes strongbox audit with the anchors the live network wrote', async () => {
    const audited = await runCli(['audit', '--member', url(4), '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!, '--json']);
    expect(audited.code, audited.stderr).to.equal(0);
    const report = JSON.parse(audited.stdout) as { ok: boolean; anchors: { count: number; list: { bitcoinTxid: string; anchoredHeight: number; confirmations: number }[] } };
    expect(report.ok).to.equal(true);
    expect(report.anchors.count).to.equal((await anchors()).length);
    expect(report.anchors.list.map((anchor) => anchor.bitcoinTxid)).to.include.members([first.bitcoinTxid, second.bitcoinTxid]);
    // The summary counts confirmed anchors apart from those still in the mempool.
    const said = await runCli(['audit', '--member', url(4), '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!]);
    const { list } = report.anchors;
    const confirmed = list.filter((anchor) => anchor.confirmations > 0);
    expect(said.stdout).to.match(new RegExp(`\nanchors: +${confirmed.length} confirmed in Bitcoin, the last for height ${confirmed.at(-1)!.anchoredHeight} with \\d+ confirmations?${confirmed.length < list.length ? `, ${list.length - confirmed.length} more in the Bitcoin node's mempool, not confirmed yet` : ''}\n`));
  });

  it('bumps an anchor stuck in the mempool with a CPFP child from its change, and both confirm', async () => {
    await pegInWallet(120_000n);
    const stuck = await nextAnchor(second.height);
    // No block is mined: after the bump delay the next anchor spends the stuck one's change.
    const child = await eventually('a child anchor spending the stuck anchor\'s change', async () => {
      for (const anchor of await anchors()) {
        if (anchor.bitcoinTxid === stuck.bitcoinTxid || (await rpc.getTransactionConfirmations(anchor.bitcoinTxid)) !== 0) continue;
        if (outpointOf(await rpc.getRawTransaction(anchor.bitcoinTxid), 0) === `${stuck.bitcoinTxid}:1`) return anchor;
      }
      return false;
    }, 90_000);
    expect(await rpc.getTransactionConfirmations(stuck.bitcoinTxid)).to.equal(0);
    const parent = await rpc.getRawTransaction(stuck.bitcoinTxid);
    const bump = await rpc.getRawTransaction(child.bitcoinTxid);
    // The child is an anchor too (the idle tip again), with its own 44-byte record.
    expect(readAnchorOutput(bump).height).to.equal(child.height);
    expect(child.height).to.be.at.least(stuck.height);
    const feeOf = async (tx: BitcoinTransaction) => BigInt((await rpc.getRawTransaction(outpointOf(tx, 0).split(':')[0]!)).outs[tx.ins[0]!.index]!.value) - tx.outs.reduce((sum, out) => sum + out.value, 0n);
    const parentFee = await feeOf(parent);
    const childFee = await feeOf(bump);
    // Together they pay a higher rate than the stuck anchor alone.
    expect((parentFee + childFee) * BigInt(parent.virtualSize()) > parentFee * BigInt(parent.virtualSize() + bump.virtualSize())).to.equal(true);
    await faucet.mine(1);
    expect(await rpc.getTransactionConfirmations(stuck.bitcoinTxid)).to.equal(1);
    expect(await rpc.getTransactionConfirmations(child.bitcoinTxid)).to.equal(1);
  });

  it('bumps a stuck peg-out with a CPFP child of its escrow change paid by the operations wallet, and pays the burn exactly once', async () => {
    // Enough reserves that the burn stays under the circuit breaker (a quarter of the reserves an hour).
    const file = await pegInWallet(2_000_000n);
    const startHeight = await rpc.getBlockCount();
    const destination = payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest });
    const escrowBefore = BigInt((await net.clients[0]!.pegoutPolicy()).reservesSats);
    const opsScript = btcAddress.toOutputScript(opsAddress, networks.regtest);
    const burned = await runCli(['pegout', '--to', destination.address!, '--amount', '250000', '--file', file, '--json', '--member', url(0), '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    const burnTxid = (JSON.parse(burned.stdout) as { txid: string }).txid;
    const settlementTxid = await eventually('the settlement in the mempool', async () => {
      const status = await net.clients[2]!.burnStatus(burnTxid);
      return status.bitcoinTxid && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) === 0 && status.bitcoinTxid;
    }, 60_000);
    const settlement = await rpc.getRawTransaction(settlementTxid);
    // The escrow's oldest coins (200,000 and 150,000 sats) leave change, which is what a bump spends.
    expect(settlement.outs).to.have.length(2);
    const escrowScript = Buffer.from(settlement.outs[1]!.script);
    const child = await eventually('a fee bump spending the settlement\'s escrow change', async () => {
      for (const txid of await rpc.getRawMempool()) {
        const tx = await rpc.getRawTransaction(txid);
        if (tx.ins.some((_, index) => outpointOf(tx, index) === `${settlementTxid}:1`)) return tx;
      }
      return false;
    }, 90_000);
    // Child pays for parent: the escrow change back to the escrow in full, an operations-wallet
    // coin paying the fee with its change back to the wallet, nothing paid to anyone.
    expect(child.ins).to.have.length(2);
    expect(outpointOf(child, 0)).to.equal(`${settlementTxid}:1`);
    expect(child.outs).to.have.length(2);
    expect(Buffer.from(child.outs[0]!.script).equals(escrowScript)).to.equal(true);
    expect(child.outs[0]!.value).to.equal(settlement.outs[1]!.value);
    expect(Buffer.from(child.outs[1]!.script).equals(opsScript)).to.equal(true);
    const [walletTxid, walletVout] = outpointOf(child, 1).split(':') as [string, string];
    const walletCoin = (await rpc.getRawTransaction(walletTxid)).outs[Number(walletVout)]!;
    expect(Buffer.from(walletCoin.script).equals(opsScript)).to.equal(true);
    const bumpFee = walletCoin.value - child.outs[1]!.value;
    expect(bumpFee > 0n).to.equal(true);
    // The package now pays more per vbyte than the settlement alone.
    const settlementFee = 250_000n - settlement.outs[0]!.value;
    expect((settlementFee + bumpFee) * BigInt(settlement.virtualSize()) > settlementFee * BigInt(settlement.virtualSize() + child.virtualSize())).to.equal(true);
    await faucet.mine(1);
    expect(await rpc.getTransactionConfirmations(settlementTxid)).to.equal(1);
    expect(await rpc.getTransactionConfirmations(child.getId())).to.equal(1);
    // The burn is paid by exactly one output in all the blocks since.
    let paidOutputs = 0;
    for (let height = startHeight + 1; height <= (await rpc.getBlockCount()); height++) {
      const block = await rpc.getBlock(await rpc.getBlockHash(height));
      for (const tx of block.transactions ?? []) paidOutputs += tx.outs.filter((out) => Buffer.from(out.script).equals(Buffer.from(destination.output!))).length;
    }
    expect(paidOutputs).to.equal(1);
    // The escrow paid the burn, nothing more: the settlement's fee came out of the withdrawal, the bump's out of the operations wallet.
    // (The bump's wallet change may already be spent by the next anchor, so the reserves are what is awaited.)
    await eventually('the reserves short by the burn only', async () => BigInt((await net.clients[1]!.pegoutPolicy()).reservesSats) === escrowBefore - 250_000n, 30_000);
    const audited = await runCli(['audit', '--member', url(2), '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!, '--json']);
    expect(audited.code, audited.stderr).to.equal(0);
  });

  /**
   * Every member stopped and started again with the default bump delay, an hour. The chain-limit
   * case grows its chain of unconfirmed anchors for as long as anchors come; with a short delay,
   * an anchor coming after the previous one had waited that long (under load) was proposed as its
   * CPFP child, raising the chain's fee rate until anchors were held for a Bitcoin block short of
   * the limit (TESTING.md, 2026-12-07).
   */
  async function restartWithoutBumps(): Promise<void> {
    await Promise.all(net.network.members.map(async (member) => {
      member.process.kill('SIGTERM');
      await member.exited;
    }));
    await Promise.all(net.clients.map((_, index) => restartMember(net, index, { STRONGBOX_FEE_BUMP_AFTER_SECONDS: '3600' })));
    await eventually('every member linked to the others again', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.peersConnected.length === net.clients.length - 1), 60_000);
  }

  it('waits for a Bitcoin block rather than record an anchor beyond the chain of unconfirmed transactions nodes relay', async function () {
    // Twice the wait: besides it, a round's own requests, and after the rounds a block mined, an anchor and an audit.
    const progressed = () => this.timeout(2 * ANCHOR_WAIT_MS);
    progressed();
    await restartWithoutBumps();
    await faucet.mine(1);
    const issuer = testWallet();
    const onNode = async (anchor: AnchorView) => (await rpc.getTransactionConfirmations(anchor.bitcoinTxid)) !== null;
    const unconfirmed = async () => {
      const waiting: AnchorView[] = [];
      for (const anchor of await anchors()) if ((await rpc.getTransactionConfirmations(anchor.bitcoinTxid)) === 0) waiting.push(anchor);
      return waiting;
    };
    // New activity once the last is anchored, or an anchor interval after it, and no Bitcoin block: each anchor spends
    // the last one's unconfirmed change. At the limit no anchor comes, and the rounds hold that for their whole interval.
    // The rounds go on for as long as anchors come.
    let steady = 0;
    let anchoredAt = Date.now();
    for (let round = 1; steady < 4; round++) {
      const latest = (await anchors())[0]!.height;
      await net.clients[round % net.clients.length]!.submit(issuance(net.genesis.chainId, issuer, 1n, BigInt(round)).tx);
      const roundEnd = Date.now() + (INTERVAL_SECONDS + 1) * 1000;
      while (Date.now() < roundEnd && (await anchors())[0]!.height <= latest) await new Promise((resolve) => setTimeout(resolve, 100));
      const waiting = (await unconfirmed()).length;
      steady = waiting >= MAX_UNCONFIRMED_ANCESTORS ? steady + 1 : 0;
      if ((await anchors())[0]!.height > latest) {
        anchoredAt = Date.now();
        progressed();
      } else if (steady === 0 && Date.now() - anchoredAt > ANCHOR_WAIT_MS) {
        throw new Error(`no anchor beyond height ${latest} for ${Math.round((Date.now() - anchoredAt) / 1000)} s of rounds with new activity, ${waiting} anchors unconfirmed, short of the ${MAX_UNCONFIRMED_ANCESTORS} nodes relay`);
      }
    }
    progressed();
    // One transaction of the chain is left for a funding coin this member does not watch.
    expect((await unconfirmed()).length).to.equal(MAX_UNCONFIRMED_ANCESTORS);
    for (const anchor of await anchors()) expect(await onNode(anchor), `anchor of height ${anchor.height} on the node`).to.equal(true);
    const waitingAt = (await anchors())[0]!;
    await faucet.mine(1);
    await net.clients[0]!.submit(issuance(net.genesis.chainId, issuer, 1n, 1_000n).tx);
    const next = await nextAnchor(waitingAt.height);
    expect(await onNode(next)).to.equal(true);
    const audited = await runCli(['audit', '--member', url(1), '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!, '--json']);
    expect(audited.code, audited.stderr).to.equal(0);
  });
});
