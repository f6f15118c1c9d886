import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodedHex, MemberApiError } from '../federation/api/client.ts';
import { txId } from '../sidechain/transaction/ids.ts';
import { keyWitness } from '../sidechain/transaction/signing.ts';
import type { Output, Transaction, TransferBody } from '../sidechain/transaction/types.ts';
import { DEFAULT_PEER_RATE_LIMIT } from '../federation/transport/options.ts';
import { startTestNetwork, type TestNetwork } from '../test/helpers/local-network.ts';
import { scrape } from '../test/helpers/prometheus.ts';
import { issuance, testWallet, type TestWallet } from '../test/helpers/transactions.ts';
import { memberLogPath } from '../federation/local-network/local-network.ts';
import { heightEntrySpreads } from './height-entry-spread.ts';
import { postgresServerCpuMs } from './server-cpu.ts';
import { offMainThreadCpuMs, processCpuMs } from './thread-cpu.ts';
import { figure, percentile, type Figure } from './report.ts';

/** Spends `source` into `count` outputs of `each` to `owner`, and `rest` back to it when positive. */
export function split(chainId: Uint8Array, owner: TestWallet, source: { txid: Uint8Array; index: number }, asset: Uint8Array, count: number, each: bigint, rest: bigint): Transaction {
  const outputs: Output[] = Array.from({ length: count }, () => ({ owner: owner.owner, asset, amount: each }));
  if (rest > 0n) outputs.push({ owner: owner.owner, asset, amount: rest });
  const body: TransferBody = { kind: 'transfer', inputs: [source], outputs };
  return { ...body, witnesses: [keyWitness(chainId, body, owner.keys.seed)] };
}

/** The default rate limit each member applies to every other member's frames. */
const peerFrameBudget = figure('peer frame budget in force (per sending member)', DEFAULT_PEER_RATE_LIMIT.framesPerSecond, 'frames/s');

const scrapeMembers = (net: TestNetwork) => Promise.all(net.clients.map((client) => scrape(client.baseUrl)));
const FRAMES_FROM = /^strongbox_peer_frames_received_total\{member="\d+"\}$/;

/** The most frames one member admitted from one other between two scrapes of every member. */
function busiestLink(before: Map<string, number>[], after: Map<string, number>[]): number {
  const counts = after.flatMap((samples, member) => [...samples].filter(([name]) => FRAMES_FROM.test(name)).map(([name, count]) => count - (before[member]!.get(name) ?? 0)));
  return Math.max(0, ...counts);
}

/** CPU seconds all members spent between two scrapes of every member. */
function memberCpuSeconds(before: Map<string, number>[], after: Map<string, number>[]): number {
  const cpu = (samples: Map<string, number>) => samples.get('strongbox_process_cpu_seconds_total') ?? Number.NaN;
  return after.reduce((sum, samples, member) => sum + cpu(samples) - cpu(before[member]!), 0);
}

/** Ed25519 signatures all members verified between two scrapes, on their main threads and thread pools. */
function memberVerifications(before: Map<string, number>[], after: Map<string, number>[]): number {
  const verified = (samples: Map<string, number>) => ['main', 'pool'].reduce((sum, thread) => sum + (samples.get(`strongbox_signature_verifications_total{thread="${thread}"}`) ?? Number.NaN), 0);
  return after.reduce((sum, samples, member) => sum + verified(samples) - verified(before[member]!), 0);
}

/** CPU milliseconds the members have spent outside their main threads; NaN where /proc is not there. */
function membersOffMainThreadCpuMs(net: TestNetwork): number {
  return net.network.members.reduce((sum, member) => sum + (offMainThreadCpuMs(member.process.pid!) ?? Number.NaN), 0);
}

/** A transfer as the load generator offers it: its encoding as the API takes it, and its id. */
interface Offered {
  hex: string;
  txid: string;
}

/** Transactions in a block from which its height counts as loaded: its proposal is large. */
const LOADED_HEIGHT = 100;

/**
 * `members` member processes on this machine: transfers offered at a fixed rate, spread over all
 * members' APIs; a transaction's finality latency runs from its submission to the moment a
 * member reports the block that holds it. With `batchMs`, clients send what became due every
 * `batchMs` in one `POST /txs` per member, as a broker's batch would, and a transaction's latency
 * runs from the moment it became due, its wait for the batch included. With `warmUpTransfers`, that
 * many transfers are first offered at the same rate in the same mode on coins of their own,
 * unmeasured, and the window starts once every member's mempool is empty: a federation runs for
 * months, and members started a minute before are still compiling their hot code, which V8 does
 * once a function has run enough, so the warm-up is counted in transfers, not seconds, and members
 * at every offered rate start the window equally warm (docs/PERFORMANCE.md).
 */
export async function federationThroughput(baseline: Figure, options: { members: number; offeredPerSecond: number; seconds: number; batchMs?: number; warmUpTransfers?: number }): Promise<Figure[]> {
  const net = await startTestNetwork(options.members);
  const verificationCost = figure('one Ed25519 verification', 1000 / baseline.value, 'ms');
  try {
    const chainId = net.genesis.chainId;
    const alice = testWallet();
    const bob = testWallet();
    const warmUpCount = options.warmUpTransfers ?? 0;
    const total = warmUpCount + Math.ceil(options.offeredPerSecond * options.seconds);
    const { tx: issue, asset } = issuance(chainId, alice, BigInt(total) * 1_000n + 1n);
    await net.clients[0]!.waitForFinal(await net.clients[0]!.submit(issue));
    const coins: { txid: Uint8Array; index: number }[] = [];
    let source = { txid: txId(issue), index: 0 };
    let remaining = BigInt(total) * 1_000n + 1n;
    while (coins.length < total) {
      const count = Math.min(999, total - coins.length);
      remaining -= BigInt(count) * 1_000n;
      const tx = split(chainId, alice, source, asset, count, 1_000n, remaining);
      await net.clients[0]!.waitForFinal(await net.clients[0]!.submit(tx));
      for (let index = 0; index < count; index++) coins.push({ txid: txId(tx), index });
      source = { txid: txId(tx), index: count };
    }
    // Signed, encoded and identified before any clock starts, as a client holding transfers signed
    // ahead of time would: the window times the requests, not the load generator's own work.
    const signed: Offered[] = coins.map((coin) => {
      const body: TransferBody = { kind: 'transfer', inputs: [coin], outputs: [{ owner: bob.owner, asset, amount: 600n }, { owner: alice.owner, asset, amount: 400n }] };
      const tx: Transaction = { ...body, witnesses: [keyWitness(chainId, body, alice.keys.seed)] };
      return { hex: encodedHex(tx), txid: Buffer.from(txId(tx)).toString('hex') };
    });
    const warmUp = signed.slice(0, warmUpCount);
    const transfers = signed.slice(warmUpCount);

    const interval = 1000 / options.offeredPerSecond;
    // A client that waits for its answers, like a real one: at most this many requests in flight.
    const maxInFlight = 64;
    const reasonOf = (error: unknown) => (error instanceof MemberApiError ? error.code : error instanceof Error ? error.message : String(error));
    /**
     * Offers `txs` from `start` at the run's rate in its sending mode, notes in `submitted` when
     * each was sent (or became due), and returns once every request is answered, with why each
     * refused or failed submission was, counted by reason (and taken out of `submitted`).
     */
    const offer = async (txs: Offered[], submitted: Map<string, number>, start: number): Promise<Map<string, number>> => {
      const inFlight = new Set<Promise<unknown>>();
      const refusals = new Map<string, number>();
      const refuse = (reason: string, txid: string) => {
        refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
        submitted.delete(txid);
      };
      const send = async (request: Promise<unknown>) => {
        inFlight.add(request);
        void request.finally(() => inFlight.delete(request));
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      };
      if (options.batchMs === undefined) {
        for (const [i, tx] of txs.entries()) {
          const wait = start + i * interval - performance.now();
          if (wait > 1) await sleep(wait);
          submitted.set(tx.txid, performance.now());
          await send(net.clients[i % net.clients.length]!.submitEncoded(tx.hex).then(() => undefined, (error: unknown) => refuse(reasonOf(error), tx.txid)));
        }
      } else {
        const batchMs = options.batchMs;
        for (let next = 0, tick = 1; next < txs.length; tick += 1) {
          const wait = start + tick * batchMs - performance.now();
          if (wait > 1) await sleep(wait);
          const due = Math.min(txs.length, Math.floor((tick * batchMs) / interval));
          const perMember = net.clients.map(() => [] as Offered[]);
          for (; next < due; next += 1) {
            perMember[next % net.clients.length]!.push(txs[next]!);
            submitted.set(txs[next]!.txid, start + next * interval);
          }
          for (const [member, batch] of perMember.entries()) {
            if (batch.length === 0) continue;
            const answered = net.clients[member]!.submitManyEncoded(batch.map((tx) => tx.hex)).then(
              (results) => results.forEach((result, i) => result.status === 'refused' && refuse(result.error.code, batch[i]!.txid)),
              (error: unknown) => batch.forEach((tx) => refuse(reasonOf(error), tx.txid)),
            );
            await send(answered);
          }
        }
      }
      await Promise.all(inFlight);
      return refusals;
    };
    const byReason = (refusals: Map<string, number>) => [...refusals].map(([reason, count]) => `${reason} ${count}`).join(', ');

    if (warmUp.length > 0) {
      const refusals = await offer(warmUp, new Map(), performance.now());
      if (refusals.size > 0) console.error(`  warm-up: submissions refused or failed: ${byReason(refusals)}`);
      // Every member's mempool empty: each has every admitted warm-up transfer in a final block, so
      // none of them is decided, and paid for, in the measured window.
      const deadline = performance.now() + 120_000;
      while ((await Promise.all(net.clients.map((client) => client.status()))).some((status) => status.mempool > 0)) {
        if (performance.now() > deadline) throw new Error('the warm-up transfers were not all final 120 s after they were offered');
        await sleep(100);
      }
    }

    const submitted = new Map<string, number>();
    const latencies: number[] = [];
    const startHeight = (await net.clients[0]!.status()).height;
    let watching = true;
    let lastFinalAt = 0;
    let finalBlocks = 0;
    // The round each height was decided in, from its commit certificate: rounds after the first are
    // work thrown away (a proposal validated, votes signed and logged) and a timeout waited out.
    const decidedRounds: number[] = [];
    // The same for heights of LOADED_HEIGHT transfers or more, whose proposals are large and late.
    const loadedRounds: number[] = [];
    const watcher = (async () => {
      let height = startHeight + 1;
      while (watching || submitted.size > latencies.length) {
        // Member 0 answers the moment the block is final: no polling interval added to a latency,
        // and no request every few milliseconds loading the member being measured.
        const block = await net.clients[0]!.block(height, 5000).catch(() => null);
        if (!block) {
          await sleep(5);
          continue;
        }
        const now = performance.now();
        for (const txid of block.transactions) {
          const sent = submitted.get(txid);
          if (sent !== undefined) latencies.push(now - sent);
        }
        lastFinalAt = now;
        finalBlocks += 1;
        decidedRounds.push(block.commit.round);
        if (block.transactions.length >= LOADED_HEIGHT) loadedRounds.push(block.commit.round);
        height += 1;
        if (!watching && latencies.length >= submitted.size) break;
      }
    })();

    // Where the local network keeps its Postgres cluster (local-network.ts).
    const clusterDir = join(net.network.dataDir, 'postgres', 'cluster');
    const samplesBefore = await scrapeMembers(net);
    const [postgresBefore, benchBefore, offMainBefore] = [postgresServerCpuMs(clusterDir), processCpuMs(), membersOffMainThreadCpuMs(net)];
    const start = performance.now();
    const refusals = await offer(transfers, submitted, start);
    const refused = [...refusals.values()].reduce((sum, count) => sum + count, 0);
    if (refused > 0) console.error(`  ${refused} submissions refused or failed: ${byReason(refusals)}`);
    watching = false;
    // Unreferenced: a run the watcher finished must not hold the process for the rest of the minute.
    await Promise.race([watcher, sleep(60_000, undefined, { ref: false })]);
    const samplesAfter = await scrapeMembers(net);
    const [postgresAfter, benchAfter, offMainAfter] = [postgresServerCpuMs(clusterDir), processCpuMs(), membersOffMainThreadCpuMs(net)];
    const elapsedSeconds = (performance.now() - start) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const finalPerSecond = (latencies.length * 1000) / (lastFinalAt - start);
    const cpuMs = memberCpuSeconds(samplesBefore, samplesAfter) * 1000;
    const postgresMs = postgresBefore === null || postgresAfter === null ? Number.NaN : postgresAfter - postgresBefore;
    // This process: the clients, the watcher and the embedded regtest node.
    const benchMs = benchAfter - benchBefore;
    const entrySpreads = heightEntrySpreads(net.clients.map((_, index) => memberLogPath(net.network.dataDir, index)), startHeight + 1).sort((a, b) => a - b);
    const loadedHeights = figure(`heights of ${LOADED_HEIGHT} transfers or more`, loadedRounds.length, 'heights');
    const label = `${options.members} members, ${options.offeredPerSecond} tx/s offered${options.batchMs === undefined ? '' : `, sent every ${options.batchMs} ms in one request per member`}`;
    return [
      figure(`federation (${label}): final transfers`, finalPerSecond, 'tx/s', baseline),
      figure(`federation (${label}): submissions refused or failed`, refused, 'transfers', figure('transfers offered', transfers.length, 'transfers')),
      figure(`federation (${label}): finality p50`, percentile(sorted, 50), 'ms'),
      figure(`federation (${label}): finality p99`, percentile(sorted, 99), 'ms'),
      figure(`federation (${label}): final blocks`, (finalBlocks * 1000) / (lastFinalAt - start), 'blocks/s'),
      figure(`federation (${label}): heights decided in their first round`, (100 * decidedRounds.filter((round) => round === 0).length) / decidedRounds.length, '%'),
      figure(`federation (${label}): rounds of the slowest height`, Math.max(...decidedRounds) + 1, 'rounds'),
      figure(`federation (${label}): heights of ${LOADED_HEIGHT} transfers or more decided after their first round`, loadedRounds.filter((round) => round > 0).length, 'heights', loadedHeights),
      figure(`federation (${label}): extra rounds of heights of ${LOADED_HEIGHT} transfers or more`, loadedRounds.reduce((sum, round) => sum + round, 0), 'rounds', loadedHeights),
      // A member that stores a block late enters the next height late: its proposal, when it is the
      // next proposer, reaches the others late, and their first round may time out before it.
      figure(`federation (${label}): members' spread in storing a height they decided, p50`, percentile(entrySpreads, 50), 'ms'),
      figure(`federation (${label}): members' spread in storing a height they decided, p90`, percentile(entrySpreads, 90), 'ms'),
      figure(`federation (${label}): members' spread in storing a height they decided, largest`, entrySpreads.at(-1) ?? Number.NaN, 'ms'),
      figure(`federation (${label}): peer frames a second, busiest link`, busiestLink(samplesBefore, samplesAfter) / elapsedSeconds, 'frames/s', peerFrameBudget),
      // CPU time, unlike the rates above, hardly depends on what else shares the cores.
      figure(`federation (${label}): member CPU per final transfer, all members`, cpuMs / latencies.length, 'ms', verificationCost),
      // Admission verifies signatures on the main thread: what runs beside it is mostly V8's
      // collection and optimizing compiler (docs/PERFORMANCE.md).
      figure(`federation (${label}): member CPU outside the main threads per final transfer, all members`, (offMainAfter - offMainBefore) / latencies.length, 'ms', verificationCost),
      figure(`federation (${label}): member CPU per final block, all members`, cpuMs / finalBlocks, 'ms', verificationCost),
      // Each member verifies each transfer once, as it admits it, and a few votes a height: five a
      // transfer and a little more is every verification the CPU above holds.
      figure(`federation (${label}): signatures verified per final transfer, all members`, memberVerifications(samplesBefore, samplesAfter) / latencies.length, 'verifications'),
      // The machine's whole budget: the members' shared Postgres server and the bench's own process
      // (clients and regtest node) share the cores with the members.
      figure(`federation (${label}): Postgres CPU per final transfer, the members' shared server`, postgresMs / latencies.length, 'ms', verificationCost),
      figure(`federation (${label}): bench process CPU per final transfer, clients and regtest node`, benchMs / latencies.length, 'ms', verificationCost),
      figure(`federation (${label}): CPU of every process per final transfer, members, Postgres and bench`, (cpuMs + postgresMs + benchMs) / latencies.length, 'ms', verificationCost),
    ];
  } finally {
    await net.stop();
  }
}
