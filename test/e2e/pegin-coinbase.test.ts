import { expect } from 'chai';
import { networks, payments } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { buildPegout, buildTransfer } from '../../federation/wallet/build-transfer.ts';
import { pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { startTestNetwork, eventually, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { testWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';
import { peggedBtcOnEveryMember } from '../helpers/pegged-btc.ts';

const ECPair = ECPairFactory(ecc);

/**
 * A miner can pay a deposit address in a coinbase, which Bitcoin lets no one spend before 100
 * confirmations. Until 2026-12-05 such a deposit was minted at the genesis depth (2 on regtest);
 * the next settlement spending it was refused by every node, and every peg-out after it, spending
 * its change, waited behind it with the status "being signed and broadcast".
 */
describe('a deposit paid by a coinbase, on five member processes and a real regtest node', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let faucet: Faucet;
  let rpc: BitcoinRpc;

  before(async () => {
    // The one burn is checked once in the node: nothing is batched with it.
    net = await startTestNetwork(5, { memberEnv: UNBATCHED_PEGOUTS });
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
  });
  after(() => net?.stop());

  const balances = (address: string) => peggedBtcOnEveryMember(net, address);

  it('is minted once the coinbase is spendable, not at the genesis depth, while the chain goes on; the peg-out spending it is paid', async () => {
    const carol = testWallet();
    const depositAddress = (await Promise.all(net.clients.map((client) => client.registerDepositAddress(carol.address))))[0]!;
    const [blockHash] = await faucet.mine(1, depositAddress);
    const coinbase = (await rpc.getBlock(blockHash!)).transactions![0]!;
    const coinbaseTxid = coinbase.getId();
    const value = BigInt(coinbase.outs.find((out) => payments.p2wsh({ output: Buffer.from(out.script), network: networks.regtest }).address === depositAddress)!.value);
    expect(value > 1_000_000n, 'regtest still pays a subsidy').to.equal(true);
    await faucet.mine(2);

    // Three confirmations, past the genesis depth of 2: nothing minted, and the chain still makes blocks.
    const sender = testWallet();
    const senderDeposit = (await Promise.all(net.clients.map((client) => client.registerDepositAddress(sender.address))))[0]!;
    await faucet.fund(senderDeposit, 100_000n);
    await faucet.mine(2);
    await eventually('an ordinary deposit minted meanwhile', async () => (await balances(sender.address)).every((b) => b === 100_000n), 60_000);
    const send = await net.clients[1]!.submit(buildTransfer(net.genesis.chainId, sender, await net.clients[1]!.utxos(sender.address), BTC_ASSET_ID, testWallet().owner, 40_000n));
    await net.clients[1]!.waitForFinal(send);
    expect(await balances(carol.address), 'not minted before maturity').to.deep.equal([0n, 0n, 0n, 0n, 0n]);
    const waiting = await runCli(['pegin', 'status', coinbaseTxid, '--no-wait', '--member', net.network.network.members[2]!.apiUrl]);
    expect(waiting.code, waiting.stderr).to.equal(0);
    expect(waiting.stdout).to.match(/^output \d+: \d+ sats \(\d+\.\d{8} BTC\) for sbx1\w+, 5 confirmations \(100 needed\), not minted yet\n$/);

    await faucet.mine(94);
    expect(await rpc.getTransactionConfirmations(coinbaseTxid)).to.equal(99);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await balances(carol.address), 'not minted at 99 confirmations').to.deep.equal([0n, 0n, 0n, 0n, 0n]);
    await faucet.mine(1);
    await eventually('the coinbase deposit minted on every member at 100 confirmations', async () => (await balances(carol.address)).every((b) => b === value), 60_000);

    // The escrow now holds the mature coinbase output (and the ordinary deposit): a peg-out
    // spending it reaches the node's mempool.
    const amount = value / 10n;
    const script = pegoutDestinationScript(payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest }).address!, networks.regtest, 'regtest');
    const burnTxid = await net.clients[0]!.submit(buildPegout(net.genesis.chainId, carol, await net.clients[0]!.utxos(carol.address), script, amount));
    await net.clients[0]!.waitForFinal(burnTxid);
    const status = await eventually('the peg-out in the Bitcoin node', async () => {
      const burn = await net.clients[3]!.burnStatus(burnTxid);
      return burn.status === 'in-bitcoin' && burn;
    }, 60_000);
    const spent = (await rpc.getRawTransaction(status.bitcoinTxid!)).ins.map((input) => Buffer.from(input.hash).reverse().toString('hex'));
    expect(spent).to.include(coinbaseTxid);
    expect(await balances(carol.address)).to.deep.equal(Array(5).fill(value - amount));
  });
});
