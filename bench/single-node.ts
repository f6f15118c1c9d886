import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ChainStore } from '../sidechain/store/chain-store.ts';
import { txId } from '../sidechain/transaction/ids.ts';
import { keyWitness } from '../sidechain/transaction/signing.ts';
import type { Output, Transaction, TransferBody } from '../sidechain/transaction/types.ts';
import { startPostgresServer } from '../federation/postgres/embedded-server.ts';
import { Chain, DEFAULT_CHAIN_OPTIONS } from '../federation/member/chain.ts';
import { testFederation } from '../test/helpers/genesis.ts';
import { appendFinalBlock } from '../test/helpers/final-blocks.ts';
import { issuance, testWallet, type TestWallet } from '../test/helpers/transactions.ts';
import { figure, type Figure } from './report.ts';

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
 * Transfers per second that one member validates (every signature), applies and persists to a
 * real Postgres, one database transaction per block of 1,000, measured as a member receiving
 * blocks does it. Signing by users and block encoding happen before the clock starts.
 */
export async function singleNodeThroughput(baseline: Figure, options: { inputs: 1 | 2; transfers: number }): Promise<Figure> {
  const root = join(tmpdir(), `strongbox-bench-${process.pid}-${options.inputs}`);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const server = await startPostgresServer({ dataDir: join(root, 'cluster') });
  await server.createDatabase('bench');
  const pool = new pg.Pool({ connectionString: server.connectionString('bench'), max: 4 });
  try {
    const store = new ChainStore(pool);
    await store.migrate();
    const federation = testFederation(5);
    const chainId = federation.genesis.chainId;
    const chain = await Chain.open(federation.genesis, store, { ...DEFAULT_CHAIN_OPTIONS, now: () => BigInt(Date.now()) });
    const alice = testWallet();
    const bob = testWallet();
    const coinsNeeded = options.transfers * options.inputs;
    const { tx: issue, asset } = issuance(chainId, alice, BigInt(coinsNeeded) * 1_000n);
    await appendFinalBlock(chain, federation, [issue]);

    // Split the issued supply into one coin per input the measured transfers will spend.
    const coins: Coin[] = [];
    let source: Coin = { txid: txId(issue), index: 0, amount: BigInt(coinsNeeded) * 1_000n };
    while (coins.length < coinsNeeded) {
      const count = Math.min(999, coinsNeeded - coins.length);
      const outputs: Output[] = Array.from({ length: count }, () => ({ owner: alice.owner, asset, amount: 1_000n }));
      const rest = source.amount - BigInt(count) * 1_000n;
      if (rest > 0n) outputs.push({ owner: alice.owner, asset, amount: rest });
      const split = transferTx(chainId, alice, [source], outputs);
      await appendFinalBlock(chain, federation, [split]);
      for (let index = 0; index < count; index++) coins.push({ txid: txId(split), index, amount: 1_000n });
      source = { txid: txId(split), index: count, amount: rest };
    }

    const transfers: Transaction[] = [];
    for (let i = 0; i < options.transfers; i++) {
      const spent = coins.slice(i * options.inputs, (i + 1) * options.inputs);
      const total = spent.reduce((sum, coin) => sum + coin.amount, 0n);
      transfers.push(transferTx(chainId, alice, spent, [{ owner: bob.owner, asset, amount: 600n }, { owner: alice.owner, asset, amount: total - 600n }]));
    }
    const start = performance.now();
    for (let i = 0; i < transfers.length; i += BLOCK_SIZE) await appendFinalBlock(chain, federation, transfers.slice(i, i + BLOCK_SIZE));
    const perSecond = (transfers.length * 1000) / (performance.now() - start);
    return figure(`single node: ${options.inputs}-in/2-out transfers validated+applied+persisted`, perSecond, 'tx/s', baseline);
  } finally {
    await pool.end();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
