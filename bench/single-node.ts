import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { encodeHeader } from '../sidechain/block-header.ts';
import { BlockHashes } from '../sidechain/block-hashes.ts';
import { applyBlock, LedgerState, type BlockEffects } from '../sidechain/ledger/index.ts';
import { ChainStore } from '../sidechain/store/chain-store.ts';
import { encodeTransaction } from '../sidechain/transaction/codec.ts';
import { txId } from '../sidechain/transaction/ids.ts';
import { keyWitness } from '../sidechain/transaction/signing.ts';
import type { Output, Transaction, TransferBody } from '../sidechain/transaction/types.ts';
import { startPostgresServer, type PostgresServer } from '../federation/postgres/embedded-server.ts';
import { blockRecord } from '../federation/member/block-record.ts';
import { memoryBlockSource } from '../federation/audit/block-source.ts';
import { applyServedBlocks } from '../federation/member/catch-up.ts';
import { Chain, contextFor, DEFAULT_CHAIN_OPTIONS } from '../federation/member/chain.ts';
import { testFederation, type TestFederation } from '../test/helpers/genesis.ts';
import { SignedChain, type SignedBlock } from '../test/helpers/signed-blocks.ts';
import { issuance, testWallet, type TestWallet } from '../test/helpers/transactions.ts';
import { figure, type Figure } from './report.ts';
import { mainThreadCpuMs, processCpuMs } from './thread-cpu.ts';
import { endPool } from '../federation/postgres/end-pool.ts';

const BLOCK_SIZE = 1_000;

interface Coin {
  txid: Uint8Array;
  index: number;
  amount: bigint;
}

function transferTx(chainId: Uint8Array, from: TestWallet, coins: Coin[], outputs: Output[]): Transaction {
  const body: TransferBody = { kind: 'transfer', inputs: coins.map((coin) => ({ txid: coin.txid, index: coin.index })), outputs };
  return { ...body, witnesses: coins.map((_, inputIndex) => keyWitness(chainId, body, from.keys.seed, { inputIndex })) };
}

/**
 * The final blocks a member receives: an issuance, splits into one coin per input the measured
 * transfers spend, then the measured transfers in blocks of 1,000. Built and signed in memory
 * without verifying anything, so no signature is in a cache when a member checks them.
 */
function benchChain(federation: TestFederation, options: { inputs: number; transfers: number }): { chain: SignedChain; measuredFrom: number } {
  const chainId = federation.genesis.chainId;
  const chain = new SignedChain(federation);
  const alice = testWallet();
  const bob = testWallet();
  const coinsNeeded = options.transfers * options.inputs;
  const { tx: issue, asset } = issuance(chainId, alice, BigInt(coinsNeeded) * 1_000n);
  chain.append([issue]);
  const coins: Coin[] = [];
  let source: Coin = { txid: txId(issue), index: 0, amount: BigInt(coinsNeeded) * 1_000n };
  while (coins.length < coinsNeeded) {
    const count = Math.min(999, coinsNeeded - coins.length);
    const outputs: Output[] = Array.from({ length: count }, () => ({ owner: alice.owner, asset, amount: 1_000n }));
    const rest = source.amount - BigInt(count) * 1_000n;
    if (rest > 0n) outputs.push({ owner: alice.owner, asset, amount: rest });
    const split = transferTx(chainId, alice, [source], outputs);
    chain.append([split]);
    for (let index = 0; index < count; index++) coins.push({ txid: txId(split), index, amount: 1_000n });
    source = { txid: txId(split), index: count, amount: rest };
  }
  const measuredFrom = chain.blocks.length;
  const transfers: Transaction[] = [];
  for (let i = 0; i < options.transfers; i++) {
    const spent = coins.slice(i * options.inputs, (i + 1) * options.inputs);
    const total = spent.reduce((sum, coin) => sum + coin.amount, 0n);
    transfers.push(transferTx(chainId, alice, spent, [{ owner: bob.owner, asset, amount: 600n }, { owner: alice.owner, asset, amount: total - 600n }]));
  }
  for (let i = 0; i < transfers.length; i += BLOCK_SIZE) chain.append(transfers.slice(i, i + BLOCK_SIZE));
  return { chain, measuredFrom };
}

export async function withDatabase<T>(server: PostgresServer, name: string, work: (store: ChainStore) => Promise<T>): Promise<T> {
  await server.createDatabase(name);
  const pool = new pg.Pool({ connectionString: server.connectionString(name), max: 4 });
  try {
    const store = new ChainStore(pool);
    await store.migrate();
    return await work(store);
  } finally {
    await endPool(pool);
  }
}

async function databaseSize(store: ChainStore): Promise<number> {
  const result = await store.pool.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
  return Number(result.rows[0]!.size);
}

/** Applies `blocks` above the chain's tip through a member's catch-up, which must take them all. */
async function catchUpOn(chain: Chain, blocks: readonly SignedBlock[]): Promise<void> {
  const from = chain.tip.height;
  const run = await applyServedBlocks(chain, memoryBlockSource(blocks));
  if (run.stop || chain.tip.height !== blocks.length) throw new Error(`catch-up applied ${run.applied} of ${blocks.length - from} blocks (${run.stop?.reason ?? 'source ended'})`);
}

/**
 * One member receiving final blocks of 1,000 transfers through its catch-up: fetched ahead with
 * their signatures verified on the thread pool meanwhile, each block decoded, its certificate and
 * link checked, every transaction executed (every signature verified or found verified), stored
 * in a real Postgres in one database transaction, applied in memory. Next to it, in
 * the same run: the Ed25519 baseline; the store alone writing the same rows (blocks, transactions,
 * spent outputs deleted, new outputs inserted, one database transaction per block) with nothing
 * validated; and the database's growth per million such transfers, extrapolated from the measured
 * ones, against the transfers' own encoded bytes.
 */
export async function singleNodeThroughput(baseline: Figure, options: { inputs: 1 | 2; transfers: number }): Promise<Figure[]> {
  const root = join(tmpdir(), `strongbox-bench-${process.pid}-${options.inputs}`);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const server = await startPostgresServer({ dataDir: join(root, 'cluster') });
  try {
    const federation = testFederation(5);
    const genesis = federation.genesis;
    const { chain: signed, measuredFrom } = benchChain(federation, options);
    const blocks = signed.blocks;
    const measured = blocks.slice(measuredFrom);

    const member = await withDatabase(server, 'member', async (store) => {
      const chain = await Chain.open(genesis, store, { ...DEFAULT_CHAIN_OPTIONS, now: () => BigInt(Date.now()) });
      await catchUpOn(chain, blocks.slice(0, measuredFrom));
      const sizeBefore = await databaseSize(store);
      const [mainBefore, processBefore] = [mainThreadCpuMs(), processCpuMs()];
      const start = performance.now();
      await catchUpOn(chain, blocks);
      const elapsedMs = performance.now() - start;
      const mainAfter = mainThreadCpuMs();
      const cpuMs = { main: mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore, process: processCpuMs() - processBefore };
      return { elapsedMs, cpuMs, grownBytes: (await databaseSize(store)) - sizeBefore };
    });

    const storeAloneMs = await withDatabase(server, 'store_alone', async (store) => {
      const ledger = new LedgerState();
      const hashes = new BlockHashes(genesis.chainId);
      let elapsedMs = 0;
      for (const [index, block] of blocks.entries()) {
        const record = recordOf(block, applyBlock(ledger, block.transactions, contextFor(genesis, block.header.height, hashes)));
        hashes.push(block.hash);
        const start = performance.now();
        await store.saveBlock(record);
        if (index >= measuredFrom) elapsedMs += performance.now() - start;
      }
      return elapsedMs;
    });

    const shape = `${options.inputs}-in/2-out transfers`;
    const count = options.transfers;
    const perSecond = figure(`single node: ${shape} validated+applied+persisted`, (count * 1000) / member.elapsedMs, 'tx/s', baseline);
    // CPU time, unlike the rate, hardly depends on what else shares the cores.
    const verification = figure('one Ed25519 verification', 1_000_000 / baseline.value, 'µs');
    const cpuFigures = [
      ...(member.cpuMs.main === null ? [] : [figure(`single node: ${shape}, main-thread CPU per transfer`, (member.cpuMs.main * 1000) / count, 'µs', verification)]),
      figure(`single node: ${shape}, CPU of all threads per transfer`, (member.cpuMs.process * 1000) / count, 'µs', verification),
    ];
    const storeAlone = figure(`Postgres alone: the same rows of ${shape} stored, nothing validated`, (count * 1000) / storeAloneMs, 'tx/s');
    const perMillion = 1_000_000 / count;
    const ownBytes = measured.reduce((sum, block) => sum + block.transactions.reduce((bytes, tx) => bytes + encodeTransaction(tx).length, 0), 0);
    const rawSize = figure(`the ${shape}' own encoded bytes, per million`, (ownBytes * perMillion) / 1e6, 'MB');
    return [
      perSecond,
      storeAlone,
      figure(`single node: ${shape}, share of Postgres alone`, perSecond.value, 'tx/s', storeAlone),
      figure(`database growth per million ${shape} (extrapolated from ${count.toLocaleString('en-US')})`, (member.grownBytes * perMillion) / 1e6, 'MB', rawSize),
      ...cpuFigures,
    ];
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function recordOf(block: SignedBlock, effects: BlockEffects) {
  const { header } = block;
  return blockRecord({ height: header.height, hash: block.hash, header: encodeHeader(header), commit: block.commit, timeMs: header.timeMs }, block.transactions, effects);
}
