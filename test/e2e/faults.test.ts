import { expect } from 'chai';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { MemberApiError } from '../../federation/api/client.ts';
import { fundLocalOpsWallet } from '../../federation/local-network/ops-wallet-funding.ts';
import { selectCoins } from '../../federation/wallet/build-transfer.ts';
import { acceptOffer, createOffer } from '../../federation/wallet/dvp.ts';
import { seededRandom } from '../helpers/consensus-sim.ts';
import { withMemberDatabaseDown } from '../helpers/database-outage.ts';
import { anyTestFailed, FAULT_ROUNDS, faultSeed, followLogs, killMember, randomKills, restartBitcoinUntilSentAgain, restartMember, skewedClockEnv, sleep, stopKeepingFolderOnFailure, submitUntilFinal } from '../helpers/faults.ts';
import { invariantChecker, type InvariantChecker } from '../helpers/invariant-facts.ts';
import { eventually, PROMPT_CATCH_UP, startTestNetwork, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { bitcoinOf, burnFrom, depositAddresses, fundedWallets, utxosOf } from '../helpers/peg-workload.ts';
import { issuance, testWallet, transfer, type TestWallet } from '../helpers/transactions.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

/** An anchor is due this long after something became final; the operations wallet is funded only for the anchoring scenarios. */
const ANCHOR_INTERVAL_SECONDS = 1;

/**
 * Crashes, restarts and lying clocks on five member processes with a real regtest node and real
 * Postgres. After each scenario the federation is left to settle and the invariant checker
 * judges the books: every confirmed deposit minted exactly once, every final burn paid exactly
 * once, escrow ≥ pegged supply, no sidechain coin spent twice, every anchor once on Bitcoin and
 * matching the chain, one chain on every member, and `strongbox audit` passes.
 */
describe('faults on five member processes, with the books checked after each', function () {
  this.timeout(600_000);
  let net: TestNetwork;
  let checker: InvariantChecker;
  let rpc: BitcoinRpc;
  let faucet: Faucet;
  /** Set once the network is up and funded: a set-up that failed keeps the network's folder too. */
  let ready = false;

  before(async () => {
    // What is checked is that every burn is paid once through the faults, not how burns are batched.
    net = await startTestNetwork(5, { genesis: (file) => ({ ...file, anchor: { intervalBlocks: 1_000, intervalSeconds: ANCHOR_INTERVAL_SECONDS } }), memberEnv: { ...UNBATCHED_PEGOUTS, ...PROMPT_CATCH_UP } });
    checker = invariantChecker(net);
    ({ rpc, faucet } = bitcoinOf(net));
    // Reserves large enough that no batch here trips the circuit breaker (a share of reserves per hour).
    await fundedWallets(net, 1, 50_000_000n);
    ready = true;
  });
  after(function () {
    return stopKeepingFolderOnFailure(net, !ready || anyTestFailed(this.test?.parent));
  });

  const holding = (member: number, wallet: TestWallet, asset = BTC_ASSET_KEY) => net.clients[member]!.balances(wallet.address).then((balances) => balances.find((b) => b.asset === asset)?.amount ?? 0n);

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
        const balances = await Promise.all(net.clients.map((_, member) => holding(member, wallet)));
        // Each member's height as it answers and the balance its database holds, to tell a member
        // behind, or an answer that is not its store's, from a store that differs.
        const heights = await Promise.all(net.clients.map((client) => client.status().then(({ height }) => height)));
        const stored = await checker.storedBalances(wallet.owner, BTC_ASSET_KEY);
        expect(balances, `wallet ${index} on every member (at heights ${heights.join(', ')}; in their databases ${stored.join(', ')})`).to.deep.equal(Array(5).fill(owed[index]));
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

  /**
   * Starts `work` and kills each member the moment it logs the broadcast of a federation
   * transaction of kind `what` (all of them with `everyone`, else the first).
   */
  async function killOnBroadcast(what: 'peg-out' | 'anchor', everyone: boolean, work: () => Promise<unknown>): Promise<{ bitcoinTxid: string; killed: number[] }> {
    const killed: number[] = [];
    let bitcoinTxid: string | undefined;
    const logs = followLogs(net, (member, line) => {
      if (line.msg !== `${what} broadcast` || (bitcoinTxid && line.bitcoinTxid !== bitcoinTxid) || (!everyone && killed.length > 0)) return;
      bitcoinTxid = line.bitcoinTxid as string;
      net.network.members[member]!.process.kill('SIGKILL');
      killed.push(member);
    });
    try {
      await work();
      await eventually(`a member broadcast the ${what} and was killed`, async () => killed.length > 0, 90_000);
      if (everyone) {
        // The others broadcast the same transaction within moments, or were killed before they could.
        await sleep(1_500);
        for (let index = 0; index < 5; index++) await killMember(net, index);
      }
    } finally {
      logs.stop();
    }
    // Until its exit is seen the killed member still counts as running, and a restart would do nothing.
    await Promise.all(killed.map((member) => net.network.members[member]!.exited));
    expect(await rpc.getRawMempool(), `the ${what} reached the mempool`).to.include(bitcoinTxid);
    return { bitcoinTxid: bitcoinTxid!, killed };
  }

  /** Kills the members broadcasting the settlement of a new burn (see killOnBroadcast). */
  async function burnAndKillBroadcaster(everyone: boolean): Promise<{ bitcoinTxid: string; killed: number[] }> {
    const [wallet] = await fundedWallets(net, 1, 300_000n);
    const burn = await burnFrom(net, wallet!, 150_000n);
    return killOnBroadcast('peg-out', everyone, () => net.clients[0]!.submit(burn.tx));
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
    // All five at once, as a network starts: the order they come back in is not what is checked.
    await Promise.all(net.network.members.map((_, index) => restartMember(net, index)));
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

  it("keeps finalizing on four members while the fifth's database refuses connections, and that member stays up and catches up", async () => {
    const random = seededRandom(faultSeed('one member database down'));
    const wallets = await fundedWallets(net, 2, 300_000n);
    const depositors = [testWallet(), testWallet()];
    const addresses = await depositAddresses(net, depositors);
    const owed = depositors.map(() => 0n);
    for (const wallet of wallets) {
      // The database goes as its member's turn to propose comes (round 0 of the height after the tip is that member's), unless the chain moves on first.
      const victim = ((await net.clients[0]!.status()).height + 1) % 5;
      const others = [0, 1, 2, 3, 4].filter((member) => member !== victim);
      const finalOnOthers = async (tx: Transaction) => {
        const txid = txInfo(tx).idHex;
        await net.clients[others[Math.floor(random() * others.length)]!]!.submit(tx);
        const statuses = await Promise.all(others.map((member) => net.clients[member]!.waitForFinal(txid, { timeoutMs: 60_000 })));
        return { txid, height: statuses[0]!.height! };
      };
      const reached = await withMemberDatabaseDown(net, victim, async () => {
        const down = Date.now();
        // A burn, so that a settlement is built and signed without this member; deposits minted; an issuance.
        const burn = await finalOnOthers((await burnFrom(net, wallet, 100_000n)).tx);
        for (const [index, address] of addresses.entries()) {
          const sats = 50_000n + BigInt(Math.floor(random() * 100_000));
          await faucet.fund(address, sats);
          owed[index]! += sats - BigInt(net.genesis.file.pegin.feeSats);
        }
        await faucet.mine(net.genesis.file.pegin.confirmations);
        const issued = await finalOnOthers(issuance(net.genesis.chainId, testWallet(), 1_000n).tx);
        await eventually(`the deposits minted on the members other than ${victim}`, async () => {
          const balances = await Promise.all(others.flatMap((member) => depositors.map((depositor) => holding(member, depositor))));
          return balances.every((balance, at) => balance === owed[at % depositors.length]);
        }, 60_000);
        // Its settlement is recorded before anyone signs it: paid means its transaction reached the Bitcoin node.
        await eventually(`the burn paid by the members other than ${victim}`, async () => {
          const { bitcoinTxid } = await net.clients[others[0]!]!.burnStatus(burn.txid);
          return bitcoinTxid !== undefined && (await rpc.getTransactionConfirmations(bitcoinTxid)) !== null;
        }, 60_000);
        // Several seconds without its database at the least, whatever the four did in less.
        await sleep(Math.max(0, down + 5_000 - Date.now()));
        const child = net.network.members[victim]!.process;
        expect([child.exitCode, child.signalCode], `member ${victim} running without its database`).to.deep.equal([null, null]);
        const lookup = await net.clients[victim]!.transaction(burn.txid).then(() => undefined, (error: unknown) => error);
        expect(lookup, `member ${victim} asked for a transaction it keeps in its database`).to.include({ status: 503, code: 'database-unavailable' });
        return Math.max(burn.height, issued.height);
      });
      await eventually(`member ${victim} catching up to height ${reached} once its database is back`, async () => (await net.clients[victim]!.status()).height >= reached, 60_000);
    }
    await checker.settleAndAssert('one member without its database');
    for (const [index, depositor] of depositors.entries()) {
      const balances = await Promise.all(net.clients.map((_, member) => holding(member, depositor)));
      expect(balances, `depositor ${index} on every member`).to.deep.equal(Array(5).fill(owed[index]));
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
    const resent = await restartBitcoinUntilSentAgain(net, rpc, firstPayment);
    expect(resent.acceptedAfter, 'the same settlement accepted anew by the restarted node, which had lost it').to.be.greaterThan(resent.acceptedBefore);
    await checker.settleAndAssert('Bitcoin node restarted');

    // A shallow reorg: the block that confirmed a payment is replaced by a longer branch without it.
    const secondPayment = await paymentInMempool(wallets[1]!, 110_000n);
    const [confirming] = await faucet.mine(1);
    expect(await rpc.getTransactionConfirmations(secondPayment)).to.equal(1);
    // bcoin empties its mempool when a block is invalidated, so from here on only a member sending
    // the payment again can bring it back. How soon one does races this test's mining: it may
    // already wait in the mempool (0) when asked, and be in the longer branch once it is mined.
    await rpc.invalidateBlock(confirming!);
    expect(await rpc.getTransactionConfirmations(secondPayment), 'the reorg dropped the payment from the chain').to.be.oneOf([null, 0]);
    await faucet.mine(2);
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

  it('names in the log of a member whose clock is two minutes ahead every peer whose frames it drops, blames no member whose clock is right, and that member keeps the chain', async () => {
    const random = seededRandom(faultSeed('clock two minutes ahead'));
    const skewed = 4;
    const named = new Map<number, Set<number>>();
    const logs = followLogs(net, (member, line) => {
      if (typeof line.msg !== 'string' || !line.msg.startsWith('peer frames dropped: their time differs from this member')) return;
      if (!named.has(member)) named.set(member, new Set());
      named.get(member)!.add(line.peer as number);
    });
    try {
      await killMember(net, skewed);
      await restartMember(net, skewed, skewedClockEnv(120_000));
      const txid = await submitUntilFinal(net, issuance(net.genesis.chainId, testWallet(), 6n).tx, random);
      const { height } = await net.clients[0]!.waitForFinal(txid);
      await eventually(`member ${skewed} (clock two minutes ahead) applies the final blocks`, async () => (await net.clients[skewed]!.status()).height >= height!, 30_000);
      // A peer sends frames only while there is something to decide: blocks keep coming until each of the four has sent some.
      await eventually('the member with the wrong clock naming each of the four others', async () => {
        if (named.get(skewed)?.size === 4) return true;
        await net.clients[0]!.submit(issuance(net.genesis.chainId, testWallet(), 1n).tx);
        await sleep(500);
        return false;
      });
      for (const member of [0, 1, 2, 3]) expect([...(named.get(member) ?? [])], `members named by member ${member}`).to.satisfy((peers: number[]) => peers.every((peer) => peer === skewed));
    } finally {
      logs.stop();
      await killMember(net, skewed);
      await restartMember(net, skewed);
    }
    await checker.settleAndAssert('a clock two minutes ahead');
  });

  /**
   * Submits competing transactions (spending one coin) to random members until one of them is
   * final; a refusal because the other got there first is part of the race.
   */
  async function firstFinal(txs: readonly Transaction[], random: () => number): Promise<number> {
    const txids = txs.map((tx) => txInfo(tx).idHex);
    const client = () => net.clients[Math.floor(random() * net.clients.length)]!;
    const { winner } = await eventually('one of the competing transactions final', async () => {
      const asked = client();
      for (const [index, txid] of txids.entries()) if ((await asked.transaction(txid).catch(() => null))?.status === 'final') return { winner: index };
      for (const tx of txs) {
        await client().submit(tx).catch((error: unknown) => {
          if (!(error instanceof MemberApiError)) throw error;
        });
      }
      await sleep(200);
      return false;
    }, 90_000);
    return winner;
  }

  it('completes every DvP offer once, both legs or neither, while members are SIGKILLed at random points of the swaps', async () => {
    const random = seededRandom(faultSeed('DvP kills'));
    const shares = 100n;
    const price = 60_000n;
    const buyers = await fundedWallets(net, 3 * FAULT_ROUNDS, 200_000n);
    const paid = await holding(0, buyers[0]!);
    for (let round = 0; round < FAULT_ROUNDS; round++) {
      // Kills come sooner than in the peg scenarios: a round of three swaps can be over in a few seconds.
      const kills = randomKills(net, random, { upMs: [300, 1_000], downMs: [0, 2_500] });
      type Deal = { seller: TestWallet; buyer: TestWallet; asset: string; swap: Transaction; withdrawal?: Transaction; swapped?: boolean };
      const deals: Deal[] = [];
      const outcomes: Promise<void>[] = [];
      for (const buyer of buyers.slice(3 * round, 3 * round + 3)) {
        const seller = testWallet();
        const issued = issuance(net.genesis.chainId, seller, shares);
        await submitUntilFinal(net, issued.tx, random);
        const asset = Buffer.from(issued.asset).toString('hex');
        const coin = { txid: txInfo(issued.tx).idHex, vout: 0, asset, amount: shares };
        const offer = createOffer(net.genesis.chainId, seller, coin, { asset: BTC_ASSET_ID, amount: price }, 0xffffffff);
        const swap = acceptOffer(net.genesis.chainId, offer, { owner: seller.owner, asset, amount: shares }, buyer, selectCoins(await utxosOf(net, buyer), BTC_ASSET_ID, price));
        // The last deal of each round races the buyer's acceptance against the seller withdrawing the offer.
        const withdrawal = deals.length === 2 ? transfer(net.genesis.chainId, seller, { txid: offer.input.txid, index: 0, amount: shares }, issued.asset, seller.owner, shares) : undefined;
        const deal: Deal = { seller, buyer, asset, swap, ...(withdrawal ? { withdrawal } : {}) };
        deals.push(deal);
        outcomes.push(
          (async () => {
            if (deal.withdrawal) deal.swapped = (await firstFinal([deal.swap, deal.withdrawal], random)) === 0;
            else {
              await submitUntilFinal(net, deal.swap, random);
              deal.swapped = true;
            }
          })(),
        );
        await sleep(random() * 2_500);
      }
      await Promise.all(outcomes);
      const killed = await kills.stop();
      expect(killed.length, 'members were killed during the round').to.be.greaterThan(0);
      await checker.settleAndAssert(`DvP round ${round + 1} (${killed.length} kills)`, { auditFrom: (round + 3) % 5 });
      for (const [index, deal] of deals.entries()) {
        const [sellerShares, sellerBtc, buyerShares, buyerBtc] = deal.swapped ? [0n, price, shares, paid - price] : [shares, 0n, 0n, paid];
        for (let member = 0; member < 5; member++) {
          const books = await Promise.all([holding(member, deal.seller, deal.asset), holding(member, deal.seller), holding(member, deal.buyer, deal.asset), holding(member, deal.buyer)]);
          expect(books, `deal ${index} (${deal.swapped ? 'swapped' : 'withdrawn'}) on member ${member}: seller's shares and BTC, buyer's shares and BTC`).to.deep.equal([sellerShares, sellerBtc, buyerShares, buyerBtc]);
        }
      }
    }
  });

  let opsWalletFunding: Promise<void> | undefined;
  /** Funds the operations wallet once, from the first anchoring scenario on: anchors start with it. */
  const opsWalletFunded = () =>
    (opsWalletFunding ??= (async () => {
      await fundLocalOpsWallet(net.network.network, () => undefined);
      await faucet.mine(1);
      await eventually('every member sees the operations wallet funded', async () => (await Promise.all(net.clients.map((client) => client.opsWallet()))).every((wallet) => BigInt(wallet.balanceSats) > 0n), 60_000);
    })());
  const activity = (random: () => number) => submitUntilFinal(net, issuance(net.genesis.chainId, testWallet(), 1n).tx, random);

  it('anchors the chain once per record while members are SIGKILLed at random points of anchoring', async () => {
    await opsWalletFunded();
    const random = seededRandom(faultSeed('anchoring kills'));
    for (let round = 1; round <= FAULT_ROUNDS; round++) {
      const before = (await checker.facts()).anchors.length;
      const kills = randomKills(net, random);
      // Something final every few seconds keeps an anchor due each interval: proposed, recorded, signed and broadcast while members die.
      for (let step = 0; step < 6; step++) {
        await activity(random);
        await sleep(random() * 2 * ANCHOR_INTERVAL_SECONDS * 1000);
        if (random() < 0.5) await faucet.mine(1);
      }
      const killed = await kills.stop();
      expect(killed.length, 'members were killed during the round').to.be.greaterThan(0);
      const facts = await checker.settleAndAssert(`anchoring round ${round} (${killed.length} kills)`, { auditFrom: (round + 1) % 5 });
      expect(facts.anchors.length, 'anchors recorded during the round').to.be.greaterThan(before);
    }
  });

  it('anchors once when the member broadcasting an anchor is killed right after its broadcast', async () => {
    await opsWalletFunded();
    const random = seededRandom(faultSeed('anchor broadcaster killed'));
    const { bitcoinTxid, killed } = await killOnBroadcast('anchor', false, () => activity(random));
    await restartMember(net, killed[0]!);
    const facts = await checker.settleAndAssert('anchor broadcaster killed after broadcast', { auditFrom: killed[0]! });
    expect(facts.anchors.filter((anchor) => anchor.bitcoinTxid === bitcoinTxid)).to.have.length(1);
  });

  it('anchors once when the Bitcoin node restarts (its mempool lost) while an anchor waits in it', async () => {
    await opsWalletFunded();
    const random = seededRandom(faultSeed('Bitcoin restart with an anchor'));
    const known = new Set((await net.clients[0]!.anchors({ limit: 1_000 })).anchors.map((anchor) => anchor.bitcoinTxid));
    await activity(random);
    const waiting = await eventually('an anchor of the new activity in the mempool', async () => {
      const fresh = (await net.clients[0]!.anchors({ limit: 1_000 })).anchors.find((anchor) => !known.has(anchor.bitcoinTxid));
      return fresh && (await rpc.getTransactionConfirmations(fresh.bitcoinTxid)) === 0 && fresh.bitcoinTxid;
    }, 90_000);
    const resent = await restartBitcoinUntilSentAgain(net, rpc, waiting);
    expect(resent.acceptedAfter, 'the same anchor accepted anew by the restarted node, which had lost it').to.be.greaterThan(resent.acceptedBefore);
    const facts = await checker.settleAndAssert('Bitcoin node restarted with an anchor in its mempool');
    expect(facts.anchors.filter((anchor) => anchor.bitcoinTxid === waiting)).to.have.length(1);
  });
});
