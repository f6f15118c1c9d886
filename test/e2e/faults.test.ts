import { expect } from 'chai';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { seededRandom } from '../helpers/consensus-sim.ts';
import { FAULT_ROUNDS, faultSeed, followLogs, killMember, randomKills, restartMember, skewedClockEnv, sleep, submitUntilFinal } from '../helpers/faults.ts';
import { invariantChecker, type InvariantChecker } from '../helpers/invariant-facts.ts';
import { eventually, startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { bitcoinOf, burnFrom, depositAddresses, fundedWallets } from '../helpers/peg-workload.ts';
import { issuance, testWallet, type TestWallet } from '../helpers/transactions.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

/**
 * Crashes, restarts and lying clocks on five member processes with a real regtest node and real
 * Postgres. After each scenario the federation is left to settle and the invariant checker
 * judges the books: every confirmed deposit minted exactly once, every final burn paid exactly
 * once, escrow ≥ pegged supply, one chain on every member, and `strongbox audit` passes.
 */
describe('faults on five member processes, with the books checked after each', function () {
  this.timeout(600_000);
  let net: TestNetwork;
  let checker: InvariantChecker;
  let rpc: BitcoinRpc;
  let faucet: Faucet;

  before(async () => {
    net = await startTestNetwork(5);
    checker = invariantChecker(net);
    ({ rpc, faucet } = bitcoinOf(net));
    // Reserves large enough that no batch here trips the circuit breaker (a share of reserves per hour).
    await fundedWallets(net, 1, 50_000_000n);
  });
  after(() => net?.stop());

  const btcOn = (member: number, wallet: TestWallet) => net.clients[member]!.balances(wallet.address).then((balances) => balances.find((b) => b.asset === BTC_ASSET_KEY)?.amount ?? 0n);

  it('mints every deposit exactly once while members are SIGKILLed at random points of peg-ins', async () => {
    const random = seededRandom(faultSeed('peg-in kills'));
    for (let round = 1; round <= FAULT_ROUNDS; round++) {
      const wallets = [testWallet(), testWallet(), testWallet()];
      const addresses = await depositAddresses(net, wallets);
      const owed = wallets.map(() => 0n);
      const kills = randomKills(net, random);
      for (let step = 0; step < 6; step++) {
        const deposits = 1 + Math.floor(random() * 2);
        for (let d = 0; d < deposits; d++) {
          const who = Math.floor(random() * wallets.length);
          const sats = 20_000n + BigInt(Math.floor(random() * 480_000));
          await faucet.fund(addresses[who]!, sats);
          owed[who]! += sats - BigInt(net.genesis.file.pegin.feeSats);
        }
        await faucet.mine(1);
        await sleep(200 + random() * 1_300);
      }
      const killed = await kills.stop();
      expect(killed.length, 'members were killed during the round').to.be.greaterThan(0);
      await checker.settleAndAssert(`peg-in round ${round} (${killed.length} kills)`, { auditFrom: round % 5 });
      for (const [index, wallet] of wallets.entries()) {
        const balances = await Promise.all(net.clients.map((_, member) => btcOn(member, wallet)));
        expect(balances, `wallet ${index} on every member`).to.deep.equal(Array(5).fill(owed[index]));
      }
    }
  });

  it('pays every burn exactly once while members are SIGKILLed at random points of peg-outs', async () => {
    const random = seededRandom(faultSeed('peg-out kills'));
    const wallets = await fundedWallets(net, 3 * FAULT_ROUNDS, 400_000n);
    for (let round = 0; round < FAULT_ROUNDS; round++) {
      const kills = randomKills(net, random);
      const burns = [];
      for (const wallet of wallets.slice(3 * round, 3 * round + 3)) {
        const burn = await burnFrom(net, wallet, 20_000n + BigInt(Math.floor(random() * 300_000)));
        burns.push(submitUntilFinal(net, burn.tx, random));
        await sleep(random() * 2_500);
        if (random() < 0.5) await faucet.mine(1);
      }
      await Promise.all(burns);
      const killed = await kills.stop();
      expect(killed.length, 'members were killed during the round').to.be.greaterThan(0);
      const facts = await checker.settleAndAssert(`peg-out round ${round + 1} (${killed.length} kills)`, { auditFrom: (round + 2) % 5 });
      expect(facts.burns.length).to.equal(3 * (round + 1));
    }
  });

  /** Kills each member the moment it logs a broadcast of the burn's settlement (all of them with `everyone`). */
  async function burnAndKillBroadcaster(everyone: boolean): Promise<{ bitcoinTxid: string; killed: number[] }> {
    const [wallet] = await fundedWallets(net, 1, 300_000n);
    const burn = await burnFrom(net, wallet!, 150_000n);
    const killed: number[] = [];
    let bitcoinTxid: string | undefined;
    const logs = followLogs(net, (member, line) => {
      if (line.msg !== 'peg-out broadcast' || (bitcoinTxid && line.bitcoinTxid !== bitcoinTxid) || (!everyone && killed.length > 0)) return;
      bitcoinTxid = line.bitcoinTxid as string;
      net.network.members[member]!.process.kill('SIGKILL');
      killed.push(member);
    });
    try {
      await net.clients[0]!.submit(burn.tx);
      await eventually('a member broadcast the settlement and was killed', async () => killed.length > 0, 60_000);
      if (everyone) {
        // The others broadcast the same transaction within moments, or were killed before they could.
        await sleep(1_500);
        for (let index = 0; index < 5; index++) await killMember(net, index);
      }
    } finally {
      logs.stop();
    }
    expect(await rpc.getRawMempool(), 'the settlement reached the mempool').to.include(bitcoinTxid);
    return { bitcoinTxid: bitcoinTxid!, killed };
  }

  it('pays once when the broadcasting member is killed right after its broadcast, and it finds the payment after restart', async () => {
    const { bitcoinTxid, killed } = await burnAndKillBroadcaster(false);
    await restartMember(net, killed[0]!);
    const view = await eventually('the restarted member watching the broadcast settlement', async () => {
      const response = await fetch(`${net.clients[killed[0]!]!.baseUrl}/pegout/settlements/${bitcoinTxid}`);
      return response.ok && ((await response.json()) as { bitcoinTxid: string });
    });
    expect(view.bitcoinTxid).to.equal(bitcoinTxid);
    await checker.settleAndAssert('broadcaster killed after broadcast', { auditFrom: killed[0]! });
  });

  it('pays once when every member is killed right after the broadcast and the payment confirms while they are down', async () => {
    const { bitcoinTxid } = await burnAndKillBroadcaster(true);
    await faucet.mine(1);
    expect(await rpc.getTransactionConfirmations(bitcoinTxid)).to.equal(1);
    for (let index = 0; index < 5; index++) await restartMember(net, index);
    await checker.settleAndAssert('federation killed after broadcast');
  });

  it('keeps the books while the Postgres server restarts under load', async () => {
    const random = seededRandom(faultSeed('Postgres restarts'));
    const wallets = await fundedWallets(net, 2 * FAULT_ROUNDS, 300_000n);
    for (let round = 0; round < FAULT_ROUNDS; round++) {
      const depositors = [testWallet(), testWallet()];
      const addresses = await depositAddresses(net, depositors);
      const work = (async () => {
        const burns = [];
        for (const wallet of wallets.slice(2 * round, 2 * round + 2)) {
          burns.push(submitUntilFinal(net, (await burnFrom(net, wallet, 100_000n)).tx, random));
          for (const address of addresses) await faucet.fund(address, 50_000n + BigInt(Math.floor(random() * 100_000)));
          burns.push(submitUntilFinal(net, issuance(net.genesis.chainId, testWallet(), 1_000n).tx, random));
          await faucet.mine(1);
          await sleep(random() * 1_500);
        }
        await Promise.all(burns);
      })();
      const restarts = (async () => {
        await sleep(300 + random() * 1_500);
        await net.network.restartPostgres();
        await sleep(random() * 2_000);
        await net.network.restartPostgres();
      })();
      await Promise.all([work, restarts]);
      await checker.settleAndAssert(`Postgres restarts round ${round + 1}`, { auditFrom: round % 5 });
    }
  });

  it('keeps the books while the Bitcoin node restarts (its mempool lost) and through a shallow reorg of a payment', async () => {
    const random = seededRandom(faultSeed('Bitcoin restarts'));
    const wallets = await fundedWallets(net, 2, 300_000n);
    // A restart while a settlement waits in the mempool: bcoin keeps no mempool, so the members must broadcast the same transaction again.
    const depositor = testWallet();
    const [address] = await depositAddresses(net, [depositor]);
    await faucet.fund(address!, 120_000n);
    await faucet.mine(1);
    /** Burns from the wallet and waits until the payment is in the node's mempool; returns its txid. */
    const paymentInMempool = async (wallet: TestWallet, amount: bigint) => {
      const burnTxid = await submitUntilFinal(net, (await burnFrom(net, wallet, amount)).tx, random);
      return eventually('the settlement broadcast', async () => {
        const status = await net.clients[Math.floor(random() * 5)]!.burnStatus(burnTxid);
        return status.bitcoinTxid && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) === 0 && status.bitcoinTxid;
      }, 60_000);
    };
    const firstPayment = await paymentInMempool(wallets[0]!, 90_000n);
    await net.network.restartBitcoin();
    expect(await rpc.getTransactionConfirmations(firstPayment), 'the restarted node lost its mempool').to.equal(null);
    await eventually('the same settlement broadcast again', async () => (await rpc.getTransactionConfirmations(firstPayment)) === 0, 60_000);
    await checker.settleAndAssert('Bitcoin node restarted');

    // A shallow reorg: the block that confirmed a payment is replaced by a longer branch without it.
    const secondPayment = await paymentInMempool(wallets[1]!, 110_000n);
    const [confirming] = await faucet.mine(1);
    expect(await rpc.getTransactionConfirmations(secondPayment)).to.equal(1);
    await rpc.invalidateBlock(confirming!);
    await faucet.mine(2);
    expect(await rpc.getTransactionConfirmations(secondPayment), 'the reorg dropped the payment').to.equal(null);
    await eventually('the same payment broadcast again after the reorg', async () => (await rpc.getTransactionConfirmations(secondPayment)) !== null, 60_000);
    await checker.settleAndAssert('shallow reorg of a payment');
  });

  it('keeps finalizing, and every member keeps the chain, with a member whose clock is behind and one whose clock is ahead', async () => {
    const random = seededRandom(faultSeed('clock skew'));
    // Beyond the 10 s a block's time may lead a member's clock, within the transport's 30 s.
    for (const [member, skewMs] of [[2, -20_000], [3, 20_000]] as const) {
      await killMember(net, member);
      await restartMember(net, member, skewedClockEnv(skewMs));
      const [wallet] = await fundedWallets(net, 1, 200_000n);
      const burnTxid = await submitUntilFinal(net, (await burnFrom(net, wallet!, 60_000n)).tx, random);
      const txid = await submitUntilFinal(net, issuance(net.genesis.chainId, testWallet(), 5n).tx, random);
      const { height } = await net.clients[0]!.waitForFinal(txid);
      await eventually(`member ${member} (clock ${skewMs} ms off) applies the final blocks`, async () => (await net.clients[member]!.status()).height >= height!, 30_000);
      await eventually('the burn paid', async () => (await net.clients[0]!.burnStatus(burnTxid)).bitcoinTxid !== undefined, 60_000);
      await killMember(net, member);
      await restartMember(net, member);
    }
    await checker.settleAndAssert('clock skew');
  });
});
