import { randomBytes } from 'node:crypto';
import { networks, payments } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { BTC_ASSET_KEY } from '../sidechain/asset.ts';
import { txInfo } from '../sidechain/transaction/ids.ts';
import { buildPegout } from '../federation/wallet/build-transfer.ts';
import { Faucet } from '../regtest/faucet.ts';
import { sortedMultisig } from '../watcher/escrow.ts';
import { planSettlement } from '../watcher/pegout-tx.ts';
import { BitcoinRpc } from '../watcher/rpc.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../test/helpers/local-network.ts';
import { testWallet, type TestWallet } from '../test/helpers/transactions.ts';
import { figure, percentile, type Figure } from './report.ts';

const ECPair = ECPairFactory(ecc);

const destinationScript = () => payments.p2wpkh({ hash: randomBytes(20), network: networks.regtest }).output!;

/**
 * Bitcoin bytes a withdrawal costs in a settlement of `batch` withdrawals to P2WPKH addresses,
 * spending one coin of a 4-of-5 escrow with change back to it: the transaction's virtual size
 * (signatures at their largest) divided by the withdrawals it pays.
 */
export function bytesPerWithdrawal(batches: readonly number[]): Figure[] {
  const keys = Array.from({ length: 5 }, () => ECPair.makeRandom().publicKey);
  const escrow = sortedMultisig(4, keys);
  const coin = { txid: randomBytes(32).toString('hex'), vout: 0, value: 10_000_000_000n };
  return batches.map((batch) => {
    const plan = planSettlement(escrow, [coin], Array.from({ length: batch }, () => ({ script: destinationScript(), amount: 100_000n })), 1n);
    return figure(`peg-out settlement, batch of ${batch}: Bitcoin bytes per withdrawal`, plan.vsize / batch, 'vB');
  });
}

async function fundedWallet(net: TestNetwork, faucet: Faucet, amount: bigint): Promise<TestWallet> {
  const wallet = testWallet();
  const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(wallet.address)));
  await faucet.fund(depositAddress!, amount);
  await faucet.mine(net.genesis.file.pegin.confirmations);
  await eventually('the deposit minted', async () => (await btcBalance(net, wallet.address)) === amount, 60_000);
  return wallet;
}

async function btcBalance(net: TestNetwork, address: string): Promise<bigint> {
  return (await net.clients[0]!.balances(address)).find((b) => b.asset === BTC_ASSET_KEY)?.amount ?? 0n;
}

async function pollUntil(check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Five member processes on this machine and the embedded regtest node. Peg-in: from the moment
 * the block giving a deposit its N-th confirmation is mined to the mint being final (members poll
 * their node every 200 ms). Peg-out: from the moment a burn is final to the moment its Bitcoin
 * transaction is in the node's mempool; the federation waits out a batch window of 2 s first, so
 * that burns final close together share one transaction.
 */
export async function pegLatency(rounds: number): Promise<Figure[]> {
  const net = await startTestNetwork(5);
  try {
    const rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    const faucet = new Faucet(rpc);
    const confirmations = net.genesis.file.pegin.confirmations;
    const mintLatencies: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const wallet = testWallet();
      const [depositAddress] = await Promise.all(net.clients.map((client) => client.registerDepositAddress(wallet.address)));
      await faucet.fund(depositAddress!, 1_000_000n);
      if (confirmations > 1) await faucet.mine(confirmations - 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await faucet.mine(1);
      const mined = performance.now();
      mintLatencies.push((await pollUntil(async () => (await btcBalance(net, wallet.address)) === 1_000_000n)) - mined);
    }

    const wallet = await fundedWallet(net, faucet, 100_000_000n);
    const broadcastLatencies: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const burn = buildPegout(net.genesis.chainId, wallet, await net.clients[0]!.utxos(wallet.address), destinationScript(), 100_000n);
      const burnTxid = txInfo(burn).idHex;
      await net.clients[0]!.submit(burn);
      const final = await pollUntil(async () => (await net.clients[0]!.transaction(burnTxid).catch(() => null))?.status === 'final');
      const broadcast = await pollUntil(async () => {
        const status = await net.clients[0]!.burnStatus(burnTxid);
        return status.bitcoinTxid !== undefined && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) !== null;
      });
      broadcastLatencies.push(broadcast - final);
      await faucet.mine(1);
    }
    const mint = [...mintLatencies].sort((a, b) => a - b);
    const broadcast = [...broadcastLatencies].sort((a, b) => a - b);
    return [
      figure(`peg-in: N-th confirmation to final mint, p50 (${rounds} deposits)`, percentile(mint, 50), 'ms'),
      figure(`peg-in: N-th confirmation to final mint, p99 (${rounds} deposits)`, percentile(mint, 99), 'ms'),
      figure(`peg-out: burn final to broadcast, p50 (${rounds} burns)`, percentile(broadcast, 50), 'ms'),
      figure(`peg-out: burn final to broadcast, p99 (${rounds} burns)`, percentile(broadcast, 99), 'ms'),
    ];
  } finally {
    await net.stop();
  }
}
