import { MemberApiError, type MemberClient } from '../federation/api/client.ts';
import { toHex, txId } from '../sidechain/transaction/ids.ts';
import type { Transaction } from '../sidechain/transaction/types.ts';
import { startTestNetwork, eventually, type TestNetwork } from '../test/helpers/local-network.ts';
import { scrape } from '../test/helpers/prometheus.ts';
import { issuance, testWallet } from '../test/helpers/transactions.ts';
import { split } from './federation.ts';
import { figure, type Figure } from './report.ts';

/** Outputs per fan-out transaction: the most a transaction may create. */
const FAN_OUT = 1_000;
/** Each attempt waits 10 s: on two loaded cores a member storing such blocks can stay busy for half a minute and more. */
const SUBMIT_ATTEMPTS = 10;
/** A full mempool drains a block at a time: the client waits this long at first, doubling up to the most. */
const FULL_BACKOFF_MS = { first: 250, most: 8_000 };
/** How long a member may keep refusing for a full mempool before the run fails: no block drained it. */
const FULL_PATIENCE_MS = 600_000;
const SAMPLE_EVERY_MS = 2_000;
/**
 * How long the members are left idle before the settled figures: V8 keeps the garbage of a
 * burst and the pages it grew into until its memory reducer runs on an idle heap, which took
 * 30–60 s in the runs of 2026-12-03 (docs/PERFORMANCE.md).
 */
const SETTLE_MS = 90_000;

interface MemorySample {
  rss: number;
  heapUsed: number;
  mempool: number;
}

/**
 * Where one member's resident set is, as it reports it: V8's heap (its young generation, "new",
 * apart), memory outside that heap (array buffers, Buffers) and the rest, which is malloc's and
 * the code's.
 */
interface ResidentParts {
  rss: number;
  heapTotal: number;
  newSpace: number;
  oldSpaceUsed: number;
  external: number;
}

function residentParts(sample: Map<string, number>): ResidentParts {
  const of = (name: string) => sample.get(`strongbox_${name}`) ?? Number.NaN;
  return {
    rss: of('process_resident_memory_bytes'),
    heapTotal: of('nodejs_heap_size_total_bytes'),
    newSpace: of('nodejs_heap_space_size_total_bytes{space="new"}'),
    oldSpaceUsed: of('nodejs_heap_space_size_used_bytes{space="old"}'),
    external: of('nodejs_external_memory_bytes'),
  };
}

/** The largest resident set, heap in use and mempool of the member processes, as each reports them on /metrics. */
async function largest(net: TestNetwork): Promise<MemorySample & { parts: ResidentParts }> {
  const samples = await Promise.all(net.clients.map((client) => scrape(client.baseUrl)));
  const most = (name: string) => Math.max(...samples.map((sample) => sample.get(name) ?? Number.NaN));
  const parts = samples.map(residentParts).reduce((a, b) => (b.rss > a.rss ? b : a));
  return { rss: parts.rss, heapUsed: most('strongbox_nodejs_heap_size_used_bytes'), mempool: most('strongbox_mempool_transactions'), parts };
}

/**
 * The peaks of `largest` while the load runs, sampled every two seconds, with the parts of the
 * member at the largest resident set. A member too busy to answer a scrape misses that sample;
 * its peak shows in the next one it answers, as V8 keeps the pages it grew into.
 */
function samplePeaks(net: TestNetwork): { stop(): MemorySample & { parts?: ResidentParts } } {
  const peak: MemorySample & { parts?: ResidentParts } = { rss: 0, heapUsed: 0, mempool: 0 };
  const timer = setInterval(() => {
    largest(net).then(
      (sample) => {
        if (sample.rss > peak.rss) peak.parts = sample.parts;
        peak.rss = Math.max(peak.rss, sample.rss);
        peak.heapUsed = Math.max(peak.heapUsed, sample.heapUsed);
        peak.mempool = Math.max(peak.mempool, sample.mempool);
      },
      () => undefined,
    );
  }, SAMPLE_EVERY_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * Submits `tx` as a client should: again after a dropped connection (a member whose event loop
 * is busy storing a block can close a kept-alive connection just as the client reuses it; the
 * waits below retry for the same reason), and later, backing off, while the member's mempool is
 * full: it bounds what it holds, and frees room as blocks take transactions out.
 */
async function submitOnce(client: MemberClient, tx: Transaction): Promise<string> {
  let unreachable = 0;
  let backoffMs = FULL_BACKOFF_MS.first;
  let fullSince: number | undefined;
  for (;;) {
    try {
      return await client.submit(tx);
    } catch (error) {
      if (!(error instanceof MemberApiError)) throw error;
      // A dropped attempt that reached the member after all.
      if (unreachable > 0 && error.code === 'already-pending') return toHex(txId(tx));
      if (error.code === 'member-unreachable' && ++unreachable < SUBMIT_ATTEMPTS) continue;
      if (error.code !== 'mempool-full') throw error;
      fullSince ??= Date.now();
      if (Date.now() - fullSince > FULL_PATIENCE_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(2 * backoffMs, FULL_BACKOFF_MS.most);
    }
  }
}

/**
 * Member processes whose ledgers hold `utxos` unspent outputs: an issuance split into
 * `utxos / 1,000` coins, each split again into 1,000 and submitted over the members' APIs. The
 * largest resident set a member reports is compared with the largest before any transaction,
 * right after the load and once the members have been idle `settleMs`: what a member holding
 * the million needs, without the garbage of building it.
 */
export async function memberMemory(options: { members: number; utxos: number; settleMs?: number }): Promise<Figure[]> {
  if (options.utxos % FAN_OUT !== 0 || options.utxos / FAN_OUT > FAN_OUT) throw new TypeError(`utxos must be a multiple of ${FAN_OUT} up to ${FAN_OUT * FAN_OUT}`);
  const net = await startTestNetwork(options.members);
  const peaks = samplePeaks(net);
  try {
    const idle = await largest(net);
    const chainId = net.genesis.chainId;
    const alice = testWallet();
    const coins = options.utxos / FAN_OUT;
    const { tx: issue, asset } = issuance(chainId, alice, BigInt(options.utxos));
    const first = split(chainId, alice, { txid: txId(issue), index: 0 }, asset, coins, BigInt(FAN_OUT), 0n);
    for (const tx of [issue, first]) await net.clients[0]!.waitForFinal(await net.clients[0]!.submit(tx));
    // Each member checks what it is sent against its own ledger, which must hold the coins first.
    const fundedAt = (await net.clients[0]!.status()).height;
    await eventually('every member holding the coins', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.height >= fundedAt));
    const fans: Transaction[] = Array.from({ length: coins }, (_, index) => split(chainId, alice, { txid: txId(first), index }, asset, FAN_OUT, 1n, 0n));
    const txids: string[] = [];
    const loadStarted = performance.now();
    // One at a time per member: each is some 70 kB, and a member busy storing a block of tens of
    // thousands of outputs answers late.
    for (let i = 0; i < fans.length; i += net.clients.length) {
      txids.push(...(await Promise.all(fans.slice(i, i + net.clients.length).map((tx, j) => submitOnce(net.clients[j]!, tx)))));
    }
    for (const txid of txids) await eventually(`${txid} final`, async () => (await net.clients[0]!.transaction(txid)).status === 'final', 600_000);
    const height = (await net.clients[0]!.status()).height;
    await eventually('every member at that height', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.height >= height), 120_000);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const peak = peaks.stop();
    const loaded = await largest(net);
    const settleMs = options.settleMs ?? SETTLE_MS;
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const settled = await largest(net);
    const label = `${options.members} members`;
    const utxos = `${options.utxos.toLocaleString('en-US')} UTXOs`;
    const idleFor = `${settleMs / 1000} s idle`;
    const before = figure(`member RSS, ${label}, before any transaction (largest)`, idle.rss / 2 ** 20, 'MiB');
    return [
      before,
      figure(`member RSS, ${label}, at ${utxos}, right after the load (largest)`, loaded.rss / 2 ** 20, 'MiB', before),
      figure(`member RSS, ${label}, at ${utxos}, after ${idleFor} (largest)`, settled.rss / 2 ** 20, 'MiB', before),
      figure(`member RSS per UTXO, ${label}, after ${idleFor}`, (settled.rss - idle.rss) / options.utxos, 'bytes'),
      figure(`member heap in use, ${label}, at ${utxos}, right after the load (largest)`, loaded.heapUsed / 2 ** 20, 'MiB'),
      figure(`member heap in use, ${label}, at ${utxos}, after ${idleFor} (largest)`, settled.heapUsed / 2 ** 20, 'MiB'),
      figure(`member RSS, ${label}, peak while building ${utxos} (largest sampled)`, peak.rss / 2 ** 20, 'MiB'),
      figure(`member heap in use, ${label}, peak while building ${utxos} (largest sampled)`, peak.heapUsed / 2 ** 20, 'MiB'),
      figure(`member mempool, ${label}, peak while building ${utxos} (largest sampled)`, peak.mempool, 'transactions'),
      figure(`time to build ${utxos}, ${label}, from the first fan-out submitted to every member at the last one's height`, loadSeconds, 's'),
      ...partsFigures(`${label}, at its RSS peak while building ${utxos}`, peak.parts),
      ...partsFigures(`${label}, at ${utxos}, right after the load`, loaded.parts),
    ];
  } finally {
    peaks.stop();
    await net.stop();
  }
}

/** The parts of one member's resident set, of the member with the largest. */
function partsFigures(when: string, parts: ResidentParts | undefined): Figure[] {
  if (!parts) return [];
  const mib = (bytes: number) => bytes / 2 ** 20;
  return [
    figure(`member V8 heap reserved, ${when}`, mib(parts.heapTotal), 'MiB'),
    figure(`member V8 young generation reserved, ${when}`, mib(parts.newSpace), 'MiB'),
    figure(`member V8 old space in use, ${when}`, mib(parts.oldSpaceUsed), 'MiB'),
    figure(`member memory outside V8's heap (array buffers, Buffers), ${when}`, mib(parts.external), 'MiB'),
    figure(`member RSS neither V8's heap nor external (malloc, code), ${when}`, mib(parts.rss - parts.heapTotal - parts.external), 'MiB'),
  ];
}
