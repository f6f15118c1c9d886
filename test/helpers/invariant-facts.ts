import pg from 'pg';
import { expect } from 'chai';
import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { SEGWIT_ACTIVE_HEIGHT } from '../../regtest/node.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { TxKind } from '../../sidechain/transaction/types.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { checkInvariants, type BitcoinTxFact, type InvariantFacts, type Verdict } from './invariants.ts';
import type { TestNetwork } from './local-network.ts';
import { runCli } from './cli.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function txFact(tx: BitcoinTransaction, confirmations: number): BitcoinTxFact {
  return {
    txid: tx.getId(),
    confirmations,
    inputs: tx.ins.map((input) => `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`),
    outputs: tx.outs.map((output) => ({ script: hex(output.script), value: BigInt(output.value) })),
  };
}

/**
 * The node's blocks since segwit (nothing before it pays a script Strongbox uses), parsed once
 * and kept by hash: a refresh walks down from the tip only until it meets a block it has, so a
 * reorg is followed and the rest is not fetched again.
 */
class BitcoinScan {
  private readonly blocks: { hash: string; txs: BitcoinTransaction[] }[] = [];

  constructor(private readonly rpc: BitcoinRpc) {}

  async facts(): Promise<BitcoinTxFact[]> {
    const tip = await this.rpc.getBlockCount();
    const first = SEGWIT_ACTIVE_HEIGHT + 1;
    this.blocks.length = Math.min(this.blocks.length, tip - first + 1);
    for (let height = tip; height >= first; height--) {
      const hash = await this.rpc.getBlockHash(height);
      if (this.blocks[height - first]?.hash === hash) break;
      this.blocks[height - first] = { hash, txs: (await this.rpc.getBlock(hash)).transactions ?? [] };
    }
    const confirmed = this.blocks.flatMap((block, index) => block.txs.map((tx) => txFact(tx, tip - (first + index) + 1)));
    const mempool = await Promise.all((await this.rpc.getRawMempool()).map(async (txid) => txFact(await this.rpc.getRawTransaction(txid), 0)));
    return [...confirmed, ...mempool];
  }
}

/** Reads one member's database with a connection of its own, closed afterwards (the server may restart between reads). */
async function withMemberDatabase<T>(net: TestNetwork, member: number, read: (client: pg.Client, store: ChainStore) => Promise<T>): Promise<T> {
  const connectionString = net.network.postgres.connectionString(`member_${member}`);
  const client = new pg.Client({ connectionString });
  const pool = new pg.Pool({ connectionString, max: 1 });
  // A connection the server ends (a restart, the member's database cut) would otherwise emit an
  // unheard 'error' and end the test process; heard, the read in flight fails and is made again.
  client.on('error', () => undefined);
  pool.on('error', () => undefined);
  await client.connect();
  try {
    return await read(client, new ChainStore(pool));
  } finally {
    await client.end();
    await endPool(pool);
  }
}

/** A member's chain and a digest of its unspent outputs, in one snapshot so a block applied meanwhile cannot split them. */
async function chainAndUnspent(client: pg.Client): Promise<{ chain: string[]; unspent: string }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const chain = (await client.query<{ hash: string }>("SELECT encode(hash, 'hex') AS hash FROM blocks ORDER BY height")).rows.map((row) => row.hash);
    const { rows } = await client.query<{ digest: string | null }>(
      "SELECT md5(string_agg(concat_ws(':', encode(txid, 'hex'), vout, encode(owner, 'hex'), encode(asset, 'hex'), amount, height), ',' ORDER BY txid, vout)) AS digest FROM utxos",
    );
    return { chain, unspent: rows[0]?.digest ?? 'none' };
  } finally {
    await client.query('COMMIT');
  }
}

export interface InvariantChecker {
  facts(): Promise<InvariantFacts>;
  /**
   * Waits until the federation owes nothing (every member at the same tip, every confirmed deposit
   * minted, every final burn paid and every anchor in a confirmed Bitcoin transaction), mining Bitcoin blocks as
   * settlements wait for them, then asserts that no safety invariant is broken and that
   * `strongbox audit` passes against member `auditFrom`. Fails at once on a safety violation.
   */
  settleAndAssert(what: string, options?: { auditFrom?: number; timeoutMs?: number }): Promise<InvariantFacts>;
  /** Each member's balance of `asset` (hex) for `owner`, read from its database, not through its API. */
  storedBalances(owner: Uint8Array, asset: string): Promise<bigint[]>;
}

export function invariantChecker(net: TestNetwork): InvariantChecker {
  const rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
  const faucet = new Faucet(rpc);
  const scan = new BitcoinScan(rpc);
  const members = net.network.members.length;
  const pegin = {
    confirmations: net.genesis.file.pegin.confirmations,
    minimumSats: BigInt(net.genesis.file.pegin.minimumSats),
    feeSats: BigInt(net.genesis.file.pegin.feeSats),
  };
  const chainPrefix = hex(net.genesis.chainId.subarray(0, 4));

  async function facts(): Promise<InvariantFacts> {
    const ledgers = await Promise.all(Array.from({ length: members }, (_, member) => withMemberDatabase(net, member, chainAndUnspent)));
    const chains = ledgers.map((ledger) => ledger.chain);
    const registered = await Promise.all(
      Array.from({ length: members }, (_, member) =>
        withMemberDatabase(net, member, async (client) => (await client.query<{ script: string }>("SELECT encode(script, 'hex') AS script FROM pegin_registrations")).rows.map((row) => row.script)),
      ),
    );
    // The chains are compared above; the longest one's records stand for all.
    const longest = chains.reduce((best, chain, member) => (chain.length > chains[best]!.length ? member : best), 0);
    // Bitcoin after the chains, so a mint in them found its deposit as deep as it is now; the
    // records after Bitcoin, so a settlement or an anchor seen there has its record among them.
    const bitcoinTxs = await scan.facts();
    const rows = await withMemberDatabase(net, longest, (_client, store) => store.transactionsOfKinds([TxKind.pegin, TxKind.pegout, TxKind.settlement, TxKind.transfer, TxKind.dividend, TxKind.anchor]));
    const recordedLater: InvariantFacts['recordedLater'] = { settlements: [], anchors: [] };
    const result: InvariantFacts = { chains, unspent: ledgers.map((ledger) => ledger.unspent), mints: [], burns: [], settlements: [], depositScripts: [...new Set(registered.flat())], bitcoinTxs, spends: [], anchors: [], recordedLater, chainPrefix, pegin };
    // Records stored after the chains were read are left out, or a mint in a block that only some
    // members hold yet would count as done while the chains still looked level; those that name a
    // Bitcoin transaction are kept as the record it has.
    const snapshotHeight = chains[longest]!.length;
    for (const row of rows) {
      const tx = decodeTransaction(row.bytes);
      if (row.height > snapshotHeight) {
        if (tx.kind === 'settlement') recordedLater.settlements.push(hex(tx.bitcoinTxid));
        if (tx.kind === 'anchor') recordedLater.anchors.push(hex(tx.bitcoinTxid));
        continue;
      }
      if ('inputs' in tx) result.spends.push({ txid: txInfo(tx).idHex, inputs: tx.inputs.map((input) => `${hex(input.txid)}:${input.index}`) });
      if (tx.kind === 'anchor') result.anchors.push({ bitcoinTxid: hex(tx.bitcoinTxid), height: tx.height, blockHash: hex(tx.blockHash) });
      if (tx.kind === 'pegin') result.mints.push({ outpoint: `${hex(tx.bitcoinTxid)}:${tx.bitcoinVout}`, amount: tx.amount });
      if (tx.kind === 'pegout') result.burns.push({ txid: txInfo(tx).idHex, destinationScript: hex(tx.destinationScript), amount: tx.amount });
      if (tx.kind === 'settlement') {
        const change = BitcoinTransaction.fromBuffer(Buffer.from(tx.bitcoinTx)).outs[tx.burns.length];
        result.settlements.push({ bitcoinTxid: hex(tx.bitcoinTxid), burns: tx.burns.map(hex), change: change ? BigInt(change.value) : null });
      }
    }
    return result;
  }

  const running = () =>
    net.network.members.flatMap((child, index) => (child.process.exitCode !== null || child.process.signalCode !== null ? [`member ${index} is not running (${child.process.exitCode ?? child.process.signalCode})`] : []));

  return {
    facts,
    storedBalances: (owner, asset) =>
      Promise.all(
        Array.from({ length: members }, (_, member) =>
          withMemberDatabase(net, member, async (_client, store) => (await store.balances(owner)).find((balance) => Buffer.from(balance.asset).toString('hex') === asset)?.amount ?? 0n),
        ),
      ),
    async settleAndAssert(what, options = {}) {
      await faucet.mine(pegin.confirmations);
      const deadline = Date.now() + (options.timeoutMs ?? 120_000);
      let last: { facts: InvariantFacts; verdict: Verdict } | undefined;
      let lastError: unknown;
      for (;;) {
        try {
          const gathered = await facts();
          last = { facts: gathered, verdict: checkInvariants(gathered) };
          lastError = undefined;
        } catch (error) {
          // A node or database still coming back after a fault: read again.
          lastError = error;
        }
        if (last) {
          expect(last.verdict.safety, `${what}: safety invariants`).to.deep.equal([]);
          expect(running(), `${what}: member processes`).to.deep.equal([]);
          if (!lastError && last.verdict.pending.length === 0) break;
        }
        if (Date.now() > deadline) {
          throw new Error(`${what}: the federation did not settle; still pending: ${JSON.stringify(last?.verdict.pending.slice(0, 10))}${lastError ? `; last read failed: ${String(lastError)}` : ''}`);
        }
        if (!lastError && (await rpc.getRawMempool().catch(() => [])).length > 0) await faucet.mine(1).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const auditFrom = options.auditFrom ?? 0;
      const audit = await runCli(['audit', '--json', '--member', net.network.network.members[auditFrom]!.apiUrl, '--bitcoin-rpc', net.network.network.bitcoinRpcUrl, '--genesis', net.network.network.genesisFile!]);
      expect(audit.code, `${what}: strongbox audit against member ${auditFrom}: ${audit.stdout}${audit.stderr}`).to.equal(0);
      return last!.facts;
    },
  };
}
