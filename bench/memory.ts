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

/** The largest resident set of the member processes, as each reports it on /metrics. */
async function largestRss(net: TestNetwork): Promise<number> {
  const samples = await Promise.all(net.clients.map((client) => scrape(client.baseUrl)));
  return Math.max(...samples.map((sample) => sample.get('strongbox_process_resident_memory_bytes') ?? Number.NaN));
}

/**
 * Submits `tx`, again after a dropped connection: a member whose event loop is busy with a block
 * of tens of thousands of outputs can close a kept-alive connection just as the client reuses it
 * (the waits below retry for the same reason).
 */
async function submitOnce(client: MemberClient, tx: Transaction): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.submit(tx);
    } catch (error) {
      if (!(error instanceof MemberApiError)) throw error;
      // The dropped attempt reached the member after all.
      if (attempt > 1 && error.code === 'already-pending') return toHex(txId(tx));
      if (error.code !== 'member-unreachable' || attempt === SUBMIT_ATTEMPTS) throw error;
    }
  }
}

/**
 * Member processes whose ledgers hold `utxos` unspent outputs: an issuance split into
 * `utxos / 1,000` coins, each split again into 1,000 and submitted over the members' APIs. The
 * largest resident set a member reports is compared with the largest before any transaction.
 */
export async function memberMemory(options: { members: number; utxos: number }): Promise<Figure[]> {
  if (options.utxos % FAN_OUT !== 0 || options.utxos / FAN_OUT > FAN_OUT) throw new TypeError(`utxos must be a multiple of ${FAN_OUT} up to ${FAN_OUT * FAN_OUT}`);
  const net = await startTestNetwork(options.members);
  try {
    const idle = await largestRss(net);
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
    // One at a time per member: each is some 70 kB, and a member busy storing a block of tens of
    // thousands of outputs answers late.
    for (let i = 0; i < fans.length; i += net.clients.length) {
      txids.push(...(await Promise.all(fans.slice(i, i + net.clients.length).map((tx, j) => submitOnce(net.clients[j]!, tx)))));
    }
    for (const txid of txids) await eventually(`${txid} final`, async () => (await net.clients[0]!.transaction(txid)).status === 'final', 600_000);
    const height = (await net.clients[0]!.status()).height;
    await eventually('every member at that height', async () => (await Promise.all(net.clients.map((client) => client.status()))).every((status) => status.height >= height), 120_000);
    const loaded = await largestRss(net);
    const label = `${options.members} members`;
    const before = figure(`member RSS, ${label}, before any transaction (largest)`, idle / 2 ** 20, 'MiB');
    return [
      before,
      figure(`member RSS, ${label}, at ${options.utxos.toLocaleString('en-US')} UTXOs (largest)`, loaded / 2 ** 20, 'MiB', before),
      figure(`member RSS per UTXO, ${label}`, (loaded - idle) / options.utxos, 'bytes'),
    ];
  } finally {
    await net.stop();
  }
}
