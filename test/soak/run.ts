/**
 * `npm run soak -- [--minutes N] [--seed S]`: a five-member network on the embedded regtest node
 * and Postgres under a steady workload, with a random fault every few seconds and the books
 * checked throughout (docs/TESTING.md, "Soak"). Exits 1 with the seed on the first violation.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { fundLocalOpsWallet } from '../../federation/local-network/ops-wallet-funding.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind } from '../../sidechain/transaction/types.ts';
import { seededRandom } from '../helpers/consensus-sim.ts';
import { stopSharedServices } from '../helpers/cleanup.ts';
import { withMemberDatabaseDown } from '../helpers/database-outage.ts';
import { followLogs, killMember, memberRunning, restartMember, sleep } from '../helpers/faults.ts';
import { invariantChecker } from '../helpers/invariant-facts.ts';
import { checkInvariants, type InvariantFacts } from '../helpers/invariants.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { bitcoinOf, depositAddresses, fundedWallets } from '../helpers/peg-workload.ts';
import { cutPeerLinks } from './peer-links.ts';
import { Books, clientAtTip, heightOf, Lane, Tally } from './workload.ts';

class Violation extends Error {}

function options(): { minutes: number; seed: number; lanes: number; checkpointMinutes: number } {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '20' }, seed: { type: 'string' }, lanes: { type: 'string', default: '3' }, 'checkpoint-minutes': { type: 'string', default: '10' } } });
  const number = (name: string, text: string, integer: boolean) => {
    const value = Number(text);
    if (!(value > 0) || (integer && !Number.isInteger(value))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    minutes: number('minutes', values.minutes!, false),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', values.seed, true),
    lanes: number('lanes', values.lanes!, true),
    checkpointMinutes: number('checkpoint-minutes', values['checkpoint-minutes']!, false),
  };
}

/** Holds the workload, the miner and the faults between their steps while a checkpoint settles the federation. */
class Gate {
  private closed: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private busy = 0;
  get open(): boolean {
    return this.closed === undefined;
  }
  private finished = false;
  /** Runs `work` once no checkpoint holds the gate; nothing once the run is over. */
  async step(work: () => Promise<unknown>): Promise<void> {
    while (this.closed) await this.closed;
    if (this.finished) return;
    this.busy++;
    try {
      await work();
    } finally {
      this.busy--;
    }
  }
  async close(): Promise<void> {
    this.closed = new Promise((resolve) => (this.release = resolve));
    while (this.busy > 0) await sleep(100);
  }
  reopen(): void {
    this.closed = undefined;
    this.release?.();
  }
  /** Lets whatever waits go without running its step. */
  finish(): void {
    this.finished = true;
    this.reopen();
  }
}

/** One lock for what must not interleave with a Bitcoin reorg half done: reading the books, and the reorg itself. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** A connection to member `member`'s database; one the server ends fails its query in flight rather than end the run with an unheard 'error'. */
async function memberDatabase(net: TestNetwork, member: number): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: net.network.postgres.connectionString(`member_${member}`) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Each member's pegged BTC in its unspent outputs against minted − burned in its own final
 * transactions, read in one snapshot: conservation on every member, whatever its height.
 */
async function supplyOnEveryMember(net: TestNetwork): Promise<string[]> {
  const found: string[] = [];
  for (let member = 0; member < net.network.members.length; member++) {
    const client = await memberDatabase(net, member);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const held = BigInt((await client.query<{ held: string }>('SELECT coalesce(sum(amount), 0)::text AS held FROM utxos WHERE asset = $1', [Buffer.from(BTC_ASSET_ID)])).rows[0]!.held);
      const rows = (await client.query<{ bytes: Buffer }>('SELECT bytes FROM transactions WHERE kind = ANY($1::smallint[])', [[TxKind.pegin, TxKind.pegout]])).rows;
      await client.query('COMMIT');
      let supply = 0n;
      for (const row of rows) {
        const tx = decodeTransaction(new Uint8Array(row.bytes));
        if (tx.kind === 'pegin') supply += tx.amount;
        if (tx.kind === 'pegout') supply -= tx.amount;
      }
      if (held !== supply) found.push(`member ${member} holds ${held} pegged sats in unspent outputs, its minted − burned is ${supply}`);
    } finally {
      await client.end();
    }
  }
  return found;
}

/** The transactions among `txids` (hex) that member `member`'s chain does not hold. */
async function missingFrom(net: TestNetwork, member: number, txids: readonly string[]): Promise<string[]> {
  const client = await memberDatabase(net, member);
  try {
    const held = new Set((await client.query<{ txid: string }>("SELECT encode(txid, 'hex') AS txid FROM transactions WHERE txid = ANY($1::bytea[])", [txids.map((txid) => Buffer.from(txid, 'hex'))])).rows.map((row) => row.txid));
    return txids.filter((txid) => !held.has(txid));
  } finally {
    await client.end();
  }
}

type FaultKind = 'kill' | 'kill while signing' | 'pause' | 'database cut' | 'peer links cut' | 'Postgres restart' | 'Bitcoin burst' | 'Bitcoin reorg' | 'Bitcoin restart';
/** Faults that leave one member faulty; the others are of Bitcoin or of the Postgres server all members share. */
const MEMBER_FAULTS: FaultKind[] = ['kill', 'kill while signing', 'pause', 'database cut', 'peer links cut'];
const FAULTS: [FaultKind, number][] = [
  ['kill', 20],
  ['kill while signing', 12],
  ['pause', 15],
  ['database cut', 10],
  ['peer links cut', 15],
  ['Bitcoin burst', 10],
  ['Bitcoin reorg', 8],
  ['Postgres restart', 5],
  ['Bitcoin restart', 5],
];

async function main(): Promise<void> {
  let settings: ReturnType<typeof options>;
  try {
    settings = options();
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    process.exit(1);
  }
  const { minutes, seed, lanes: laneCount, checkpointMinutes } = settings;
  const replay = `npm run soak -- --seed ${seed} --minutes ${minutes} --lanes ${laneCount} --checkpoint-minutes ${checkpointMinutes}`;
  const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  say(`soak: seed ${seed}, ${minutes} min (${replay} replays its choices)`);

  const tally = new Tally();
  const faults = new Tally();
  const gate = new Gate();
  const lock = new Lock();
  let started = Date.now();
  let net: TestNetwork | undefined;
  let violation: string | undefined;
  let running = true;
  const fail = (what: string) => {
    violation ??= what;
    running = false;
  };

  // Ctrl-C stops the network and the shared servers rather than leave member processes behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\nsoak: ${signal}, stopping (seed ${seed})`);
      void (async () => {
        await net?.stop().catch(() => undefined);
        await stopSharedServices().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
  try {
    net = await startTestNetwork(5, { genesis: (file) => ({ ...file, anchor: { intervalBlocks: 1_000, intervalSeconds: 5 } }) });
    const network = net;
    say(`network up in ${network.network.dataDir}`);
    const checker = invariantChecker(network);
    const { rpc, faucet } = bitcoinOf(network);
    await fundLocalOpsWallet(network.network.network, () => undefined);
    // A holding that never moves keeps the reserves large, so the burns of the run stay below the circuit breaker's share of them an hour.
    const [reserve] = await fundedWallets(network, 1, 500_000_000n);
    const wallets = await fundedWallets(network, laneCount * 4, 3_000_000n);
    const addresses = await depositAddresses(network, [reserve!, ...wallets]);
    const books = new Books();
    const depositAddress = new Map([reserve!, ...wallets].map((wallet, index) => [wallet, addresses[index]!]));
    for (const [wallet, address] of depositAddress) books.track(wallet, address);
    const lanes = Array.from({ length: laneCount }, (_, lane) => {
      const own = wallets.slice(4 * lane, 4 * lane + 4);
      return new Lane(network, books, tally, seededRandom(seed + 1 + lane), own.slice(1), own[0]!, wallets, depositAddress, faucet);
    });
    say(`funded: ${wallets.length} wallets in ${laneCount} lanes, the operations wallet and a reserve`);
    started = Date.now();

    // Members a fault has down or paused: any other not running exited on its own.
    const faulted = new Set<number>();
    let currentFault = 'none';
    const recoveries: { kind: string; clearedAt: number; height: number }[] = [];
    const longestRecovery = new Map<string, number>();
    let longestStall = { ms: 0, during: 'none', at: '' };
    let tip = 0;
    let lastBlockAt = Date.now();

    const monitor = (async () => {
      while (running) {
        const height = Math.max(...(await Promise.all(network.clients.map((client) => heightOf(client.baseUrl)))));
        const now = Date.now();
        if (height > tip) {
          tip = height;
          lastBlockAt = now;
          for (const recovery of recoveries.splice(0)) {
            if (height > recovery.height) longestRecovery.set(recovery.kind, Math.max(longestRecovery.get(recovery.kind) ?? 0, now - recovery.clearedAt));
            else recoveries.push(recovery);
          }
        } else if (!gate.open) lastBlockAt = now;
        else if (now - lastBlockAt > longestStall.ms) longestStall = { ms: now - lastBlockAt, during: currentFault, at: new Date(lastBlockAt).toISOString() };
        network.network.members.forEach((member, index) => {
          if (!faulted.has(index) && !memberRunning(network, index)) fail(`member ${index} exited on its own (${member.process.exitCode ?? member.process.signalCode}); see ${network.network.dataDir}/member-${index}/member.log`);
        });
        await sleep(500);
      }
    })();

    const miner = (async () => {
      const random = seededRandom(seed + 100);
      while (running) {
        await gate.step(() => faucet.mine(1).catch(() => undefined));
        await sleep(3_000 + random() * 5_000);
      }
    })();

    let checks = 0;
    let unreadChecks = 0;
    const check = async (): Promise<InvariantFacts | undefined> => {
      let facts: InvariantFacts;
      try {
        facts = await lock.run(() => checker.facts());
      } catch {
        // A database or the Bitcoin node down for a fault: checked at the next round.
        unreadChecks++;
        return undefined;
      }
      const safety = [...checkInvariants(facts).safety, ...(await supplyOnEveryMember(network).catch(() => []))];
      if (safety.length > 0) fail(`safety invariants broken: ${safety.slice(0, 10).join('; ')}`);
      checks++;
      return facts;
    };
    const checking = (async () => {
      while (running) {
        await check();
        await sleep(5_000);
      }
    })();

    const inject = async (random: () => number): Promise<void> => {
      let total = 0;
      for (const [, weight] of FAULTS) total += weight;
      let roll = random() * total;
      const kind = FAULTS.find(([, weight]) => (roll -= weight) < 0)![0];
      const victim = Math.floor(random() * 5);
      const lengthMs = 1_000 + random() * 9_000;
      currentFault = MEMBER_FAULTS.includes(kind) ? `${kind} (member ${victim})` : kind;
      faults.add(kind);
      if (kind === 'kill' || kind === 'kill while signing') {
        let killed = victim;
        if (kind === 'kill while signing') {
          // The next member to log a signature or a broadcast of a settlement or an anchor dies at that line.
          let heard: number | undefined;
          const logs = followLogs(network, (member, line) => {
            if (heard === undefined && typeof line.msg === 'string' && /^(signed (peg-out|anchor)|(peg-out|anchor) broadcast)$/.test(line.msg)) {
              heard = member;
              faulted.add(member);
              network.network.members[member]!.process.kill('SIGKILL');
            }
          });
          const until = Date.now() + 30_000;
          while (heard === undefined && Date.now() < until && running) await sleep(50);
          logs.stop();
          if (heard === undefined) faults.add('kill while signing: nothing signed within 30 s, a kill at random instead');
          killed = heard ?? victim;
        }
        faulted.add(killed);
        await killMember(network, killed);
        await sleep(lengthMs / 2);
        await restartMember(network, killed);
        faulted.delete(killed);
      } else if (kind === 'pause') {
        faulted.add(victim);
        network.network.members[victim]!.process.kill('SIGSTOP');
        await sleep(lengthMs);
        network.network.members[victim]!.process.kill('SIGCONT');
        faulted.delete(victim);
      } else if (kind === 'database cut') {
        await withMemberDatabaseDown(network, victim, () => sleep(lengthMs));
      } else if (kind === 'peer links cut') {
        faults.add('peer connections cut', await cutPeerLinks(network, victim, lengthMs));
      } else if (kind === 'Postgres restart') {
        await network.network.restartPostgres();
      } else if (kind === 'Bitcoin burst') {
        await faucet.mine(3 + Math.floor(random() * 8));
      } else if (kind === 'Bitcoin reorg') {
        // One block deep, under the confirmation depth: nothing minted may be undone.
        await lock.run(async () => {
          await rpc.invalidateBlock(await rpc.getBlockHash(await rpc.getBlockCount()));
          await faucet.mine(2);
        });
      } else {
        await network.network.restartBitcoin();
      }
      recoveries.push({ kind, clearedAt: Date.now(), height: tip });
      currentFault = 'none';
    };
    const faulting = (async () => {
      const random = seededRandom(seed);
      while (running) {
        await sleep(2_000 + random() * 6_000);
        if (!running) break;
        await gate.step(() => inject(random)).catch((error: unknown) => fail(`the fault ${currentFault} could not be made or cleared: ${String(error)}`));
      }
    })();

    const work = lanes.map((lane) => lane.run(() => running, gate));

    let settled: InvariantFacts | undefined;
    let checkpoints = 0;
    /** Settles the federation with the workload and faults held, then checks every wallet's balance on every member against the books. */
    const checkpoint = async (what: string) => {
      await gate.close();
      say(`checkpoint (${what}): settling`);
      try {
        const facts = (settled = await checker.settleAndAssert(what, { auditFrom: (seed + checkpoints++) % 5, timeoutMs: 300_000 }));
        for (;;) {
          const client = await clientAtTip(network);
          await books.refresh(client);
          const expected = books.expected(facts);
          const mismatches: string[] = [];
          for (const [owner, wallet] of books.wallets) {
            const want = expected.get(owner) ?? new Map<string, bigint>();
            for (const [member, memberClient] of network.clients.entries()) {
              const held = new Map((await memberClient.balances(wallet.address)).map((balance) => [balance.asset, balance.amount] as const));
              for (const asset of new Set([...want.keys(), ...held.keys()])) {
                if ((want.get(asset) ?? 0n) !== (held.get(asset) ?? 0n)) mismatches.push(`member ${member}: ${wallet.address} holds ${held.get(asset) ?? 0n} of ${asset}, its own final transactions and deposits make ${want.get(asset) ?? 0n}`);
              }
            }
          }
          // A transaction that became final while the balances were read: read again.
          if ((await books.refresh(client)) > 0) continue;
          for (let member = 0; member < 5; member++) {
            for (const txid of await missingFrom(network, member, [...books.answeredFinal])) mismatches.push(`member ${member}: transaction ${txid}, answered final while the workload waited, is not in its chain`);
          }
          if (mismatches.length > 0) fail(`${what}: balances: ${mismatches.slice(0, 10).join('; ')}`);
          say(`checkpoint (${what}): settled, audit passed, ${books.wallets.size} wallets' balances as the books say on all five members (${[...books.finalByKind().values()].reduce((a, b) => a + b, 0)} workload transactions final)`);
          break;
        }
      } catch (error) {
        fail(`${what}: ${(error as Error).message}`);
      }
      // After the last checkpoint nothing may run: what it settled and checked is the end of the run.
      if (running) gate.reopen();
      else gate.finish();
    };

    const deadline = started + minutes * 60_000;
    let nextCheckpoint = Date.now() + checkpointMinutes * 60_000;
    let nextReport = Date.now() + 60_000;
    while (running && Date.now() < deadline) {
      await sleep(1_000);
      if (Date.now() >= nextReport) {
        say(`height ${tip}, ${checks} checks passed, faults ${[...faults.counts].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
        nextReport += 60_000;
      }
      if (running && Date.now() >= nextCheckpoint && deadline - Date.now() > 60_000) {
        await checkpoint(`checkpoint at ${Math.round((Date.now() - started) / 60_000)} min`);
        nextCheckpoint = Date.now() + checkpointMinutes * 60_000;
      }
    }
    if (!violation) {
      running = false;
      await checkpoint('the end');
    }
    if (violation) throw new Violation(violation);
    await Promise.all([monitor, miner, checking, faulting, ...work]);
    if ((await check()) === undefined) fail('the last check could not read the books');
    if (violation) throw new Violation(violation);

    const minutesRun = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(`\nsoak summary (seed ${seed}, ${minutesRun} min, final height ${tip})`);
    console.log(`  faults injected: ${[...faults.counts].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
    console.log(`  workload, final on the chain: ${[...books.finalByKind()].map(([what, count]) => `${what} ${count}`).join(', ')}`);
    console.log(`  workload, as it went: ${[...tally.counts].map(([what, count]) => `${what} ${count}`).join(', ')}`);
    console.log(`  on the chain at the end: ${settled!.mints.length} deposits minted, ${settled!.burns.length} burns paid by ${settled!.settlements.length} settlements, ${settled!.anchors.length} anchors`);
    console.log(`  invariant checks passed: ${checks} (${unreadChecks} skipped while a database or the Bitcoin node was down)`);
    console.log(`  longest stall without a new block: ${(longestStall.ms / 1000).toFixed(1)} s from ${longestStall.at} (fault then: ${longestStall.during})`);
    console.log(`  longest wait for a new block after a fault cleared: ${[...longestRecovery].map(([kind, ms]) => `${kind} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
  } catch (error) {
    if (!(error instanceof Violation)) fail(`the soak stopped: ${(error as Error).stack ?? String(error)}`);
  }
  running = false;
  if (violation) {
    console.log(`\nVIOLATION: ${violation}`);
    console.log(`seed ${seed}: ${replay}`);
    if (net) {
      await net.network.stop().catch(() => undefined);
      console.log(`the network's folder is kept for its member logs: ${net.network.dataDir}`);
    }
  } else await net?.stop();
  await stopSharedServices();
  process.exit(violation ? 1 : 0);
}

await main();
