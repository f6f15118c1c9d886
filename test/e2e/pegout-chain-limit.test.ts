import { expect } from 'chai';
import { networks, payments } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { MAX_UNCONFIRMED_ANCESTORS } from '../../federation/member/federation-signer.ts';
import { buildPegout } from '../../federation/wallet/build-transfer.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually, startTestNetwork, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { pegIn } from '../helpers/pegged-btc.ts';
import { testWallet } from '../helpers/transactions.ts';

const ECPair = ECPairFactory(ecc);
const destination = () => pegoutDestinationScript(payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest }).address!, networks.regtest, 'regtest');

/**
 * With one escrow coin, every settlement spends the change of the one before. While Bitcoin makes
 * no block that chain of unconfirmed transactions grows with each batch, and nodes refuse a
 * transaction with more than 24 unconfirmed ancestors: a settlement recorded beyond it could not
 * be broadcast, and the reserves would hold change that is nowhere on Bitcoin.
 */
describe('peg-out with Bitcoin making no blocks', function () {
  this.timeout(600_000);
  let net: TestNetwork;
  let rpc: BitcoinRpc;

  before(async () => {
    // The burns come one at a time, so the batch window would only delay each of them.
    net = await startTestNetwork(3, { memberEnv: UNBATCHED_PEGOUTS });
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
  });
  after(() => net?.stop());

  it('waits for a Bitcoin block rather than record a settlement beyond the chain of unconfirmed transactions nodes relay', async () => {
    const wallet = testWallet();
    // Reserves large enough that thirty burns stay well under the circuit breaker (a quarter an hour).
    await pegIn(net, [{ address: wallet.address, sats: 20_000_000n }]);
    const burnTxids: string[] = [];
    let waiting: string | undefined;
    for (let round = 1; round <= 40 && !waiting; round++) {
      const burn = buildPegout(net.genesis.chainId, wallet, await net.clients[0]!.utxos(wallet.address), destination(), 50_000n);
      const txid = await net.clients[round % net.clients.length]!.submit(burn);
      await net.clients[0]!.waitForFinal(txid);
      burnTxids.push(txid);
      // Settled on the node, or held by every member for want of a Bitcoin block, which they say in its status.
      const outcome = await eventually('the burn settled on the node or waiting for a Bitcoin block', async () => {
        const status = await net.clients[0]!.burnStatus(txid);
        if (status.bitcoinTxid && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) !== null) return 'settled';
        const statuses = await Promise.all(net.clients.map((client) => client.burnStatus(txid)));
        return statuses.every((each) => each.waitingForBitcoinBlock === true) && 'waiting';
      }, 60_000);
      if (outcome === 'waiting') waiting = txid;
    }
    expect(waiting, 'a burn that waits for a Bitcoin block').to.not.equal(undefined);
    // The chain reached what nodes relay, every settlement recorded is on the node, and the last burn waits unsettled.
    const settlements = await Promise.all(burnTxids.slice(0, -1).map(async (txid) => (await net.clients[0]!.burnStatus(txid)).bitcoinTxid!));
    expect(settlements).to.have.length(MAX_UNCONFIRMED_ANCESTORS);
    for (const bitcoinTxid of settlements) expect(await rpc.getTransactionConfirmations(bitcoinTxid), `settlement ${bitcoinTxid}`).to.equal(0);
    for (const client of net.clients) expect(await client.burnStatus(waiting!)).to.deep.include({ status: 'final', waitingForBitcoinBlock: true });
    const status = await runCli(['pegout', 'status', waiting!, '--no-wait', '--member', net.network.network.members[1]!.apiUrl]);
    expect(status.stdout).to.match(new RegExp(`^burn ${waiting}: final at height \\d+, waiting for a Bitcoin block: the federation's peg-outs waiting unconfirmed form as long a chain as Bitcoin nodes relay \\(on local regtest: strongbox regtest mine 1\\)\n$`));
    // Meanwhile the audit passes: the settlements in the mempool are judged by the coins they spend, which Bitcoin's blocks still hold.
    const auditArgs = ['audit', '--member', net.network.network.members[2]!.apiUrl, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!, '--json'];
    const before = await runCli(auditArgs);
    expect(before.code, before.stderr).to.equal(0);
    expect((JSON.parse(before.stdout) as { settlements: { count: number; inMempool: number } }).settlements).to.deep.include({ count: MAX_UNCONFIRMED_ANCESTORS, inMempool: MAX_UNCONFIRMED_ANCESTORS });
    // A block confirms the chain, and the waiting burn is paid, once.
    const faucet = new Faucet(rpc);
    await faucet.mine(1);
    const paid = await eventually('the waiting burn settled and broadcast', async () => {
      const status = await net.clients[1]!.burnStatus(waiting!);
      return status.bitcoinTxid !== undefined && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) === 0 && status.bitcoinTxid;
    }, 60_000);
    expect(settlements).to.not.include(paid);
    await faucet.mine(1);
    const audited = await runCli(auditArgs);
    expect(audited.code, audited.stderr).to.equal(0);
  });
});
