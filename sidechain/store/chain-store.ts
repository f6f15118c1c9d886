import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { appliedSchemaVersion, loadMigrations, runMigrations } from './migrate.ts';
import { TxKind } from '../transaction/types.ts';
import { byteaArray, int2Array, int4Array } from './binary-array.ts';
import { inTransaction } from './pooled-client.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface StoredTransaction {
  txid: Uint8Array;
  kind: number;
  bytes: Uint8Array;
}

export interface StoredOutput {
  txid: Uint8Array;
  vout: number;
  owner: Uint8Array;
  asset: Uint8Array;
  amount: bigint;
}

export interface StoredMint {
  bitcoinTxid: Uint8Array;
  bitcoinVout: number;
  txid: Uint8Array;
  amount: bigint;
}

export interface StoredBurn {
  txid: Uint8Array;
  destinationScript: Uint8Array;
  amount: bigint;
}

/** Output `vout` of transaction `txid` was spent by input `input` of transaction `spentBy`. */
export interface StoredSpender {
  txid: Uint8Array;
  vout: number;
  spentBy: Uint8Array;
  input: number;
}

/** A final block as stored: its canonical header, certificate and transactions. */
export interface StoredBlock {
  height: number;
  hash: Uint8Array;
  header: Uint8Array;
  commit: Uint8Array;
  transactions: Uint8Array[];
}

/** A ledger snapshot's header row: the block it is the state after, and the SHA-256 of its bytes. */
export interface StoredSnapshot {
  height: number;
  blockHash: Uint8Array;
  digest: Uint8Array;
  size: number;
}

/** A final block and what applying it changed: written together or not at all. */
export interface BlockRecord {
  height: number;
  hash: Uint8Array;
  header: Uint8Array;
  commit: Uint8Array;
  timeMs: bigint;
  transactions: StoredTransaction[];
  spent: { txid: Uint8Array; vout: number }[];
  /** Every input of every transaction, also those spending an output of the same block. */
  spenders: StoredSpender[];
  created: StoredOutput[];
  mints: StoredMint[];
  burns: StoredBurn[];
}

/**
 * A final block with its state changes. The spent outputs are deleted by outpoint and counted:
 * the ledger already proved every input unspent, so a count that differs means the store and the
 * in-memory state disagree, and writing on would corrupt the books (migration 006 refuses it).
 * Sub-statements of one statement all see the database as it was before it, which is why a
 * block's record never spends an output the same block creates (blockRecord nets them out).
 *
 * The outpoints are capped by their own number, which limits nothing but keeps the spent outputs
 * looked up by primary key. The plan a connection makes of this prepared statement (a generic
 * one, from its sixth use) counts on 10 outpoints, and while the UTXO set is under ~10 pages
 * (a new chain's) a hash join over all of it is cheaper by the planner's costs; that plan is then
 * kept while the set grows, and each block read the whole set (at 12,000 outputs, storing a block
 * of 74 transfers took 3.6-4.1 ms of server CPU, against 1.9-2.0 ms by key). A limit it cannot
 * read makes the planner count on one outpoint, for which the key lookup is the cheaper plan at
 * any size.
 */
const SAVE_BLOCK = `
  WITH block AS (
    INSERT INTO blocks (height, hash, header, commit, tx_count, time_ms) VALUES ($1::bigint, $2, $3, $4, $5, $6)
  ), txs AS (
    INSERT INTO transactions (txid, height, position, kind, bytes)
    SELECT t.txid, $1::bigint, t.position - 1, t.kind, t.bytes
    FROM unnest($7::bytea[], $8::smallint[], $9::bytea[]) WITH ORDINALITY AS t(txid, kind, bytes, position)
  ), dividends AS (
    INSERT INTO asset_dividends (asset, height, position, txid)
    SELECT strongbox_dividend_asset(t.bytes), $1::bigint, t.position - 1, t.txid
    FROM unnest($7::bytea[], $8::smallint[], $9::bytea[]) WITH ORDINALITY AS t(txid, kind, bytes, position)
    WHERE t.kind = ${TxKind.dividend}
  ), spent AS (
    DELETE FROM utxos USING (SELECT * FROM unnest($10::bytea[], $11::int[]) LIMIT cardinality($10::bytea[])) AS s(txid, vout)
    WHERE utxos.txid = s.txid AND utxos.vout = s.vout
    RETURNING 1
  ), created AS (
    INSERT INTO utxos (txid, vout, owner, asset, amount, height)
    SELECT o.txid, o.vout, o.owner, o.asset, o.amount, $1::bigint
    FROM unnest($12::bytea[], $13::int[], $14::bytea[], $15::bytea[], $16::numeric[]) AS o(txid, vout, owner, asset, amount)
  ), mints AS (
    INSERT INTO pegin_mints (bitcoin_txid, bitcoin_vout, txid, height, amount)
    SELECT m.bitcoin_txid, m.bitcoin_vout, m.txid, $1::bigint, m.amount
    FROM unnest($17::bytea[], $18::int[], $19::bytea[], $20::numeric[]) AS m(bitcoin_txid, bitcoin_vout, txid, amount)
  ), burns AS (
    INSERT INTO pegout_burns (txid, height, destination_script, amount)
    SELECT b.txid, $1::bigint, b.destination_script, b.amount
    FROM unnest($21::bytea[], $22::bytea[], $23::numeric[]) AS b(txid, destination_script, amount)
  ), spenders AS (
    INSERT INTO output_spenders (txid, vout, spent_by, input, height)
    SELECT s.txid, s.vout, s.spent_by, s.input, $1::bigint
    FROM unnest($24::bytea[], $25::int[], $26::bytea[], $27::int[]) AS s(txid, vout, spent_by, input)
  ), wal AS (
    DELETE FROM consensus_wal WHERE height <= $1::bigint
  )
  SELECT strongbox_require(
    count(*) = cardinality($10::bytea[]),
    format('block %s: %s inputs but %s stored outputs spent', $1::bigint, cardinality($10::bytea[]), count(*))
  )
  FROM spent`;

const spenderColumns = (spenders: StoredSpender[]) => [
  byteaArray(spenders.map((spender) => spender.txid)),
  int4Array(spenders.map((spender) => spender.vout)),
  byteaArray(spenders.map((spender) => spender.spentBy)),
  int4Array(spenders.map((spender) => spender.input)),
];
const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const bytesOf = (value: Buffer) => new Uint8Array(value);

/**
 * The Postgres edge of the ledger: stores final blocks with their state changes in one statement
 * each, and reads the state back at start. Batches use unnest() so a block of thousands of
 * transactions is still that one statement.
 */
export class ChainStore {
  constructor(readonly pool: pg.Pool) {}

  async migrate(stopRequested?: AbortSignal): Promise<number[]> {
    return runMigrations(this.pool, loadMigrations(MIGRATIONS_DIR), stopRequested);
  }

  /** The schema version of the database and the newest this software has. */
  async schemaVersions(): Promise<{ database: number; software: number }> {
    return { database: await appliedSchemaVersion(this.pool), software: loadMigrations(MIGRATIONS_DIR).at(-1)?.version ?? 0 };
  }

  async saveBlock(block: BlockRecord): Promise<void> {
    const { transactions, spent, spenders, created, mints, burns } = block;
    // One statement, so one round trip and one implicit database transaction: every part below
    // is written, or none when any fails. Unused parts get empty arrays.
    await this.pool.query({
      name: 'save-block',
      text: SAVE_BLOCK,
      values: [
        block.height,
        buffer(block.hash),
        buffer(block.header),
        buffer(block.commit),
        transactions.length,
        block.timeMs.toString(),
        byteaArray(transactions.map((tx) => tx.txid)),
        int2Array(transactions.map((tx) => tx.kind)),
        byteaArray(transactions.map((tx) => tx.bytes)),
        byteaArray(spent.map((outpoint) => outpoint.txid)),
        int4Array(spent.map((outpoint) => outpoint.vout)),
        byteaArray(created.map((out) => out.txid)),
        int4Array(created.map((out) => out.vout)),
        byteaArray(created.map((out) => out.owner)),
        byteaArray(created.map((out) => out.asset)),
        created.map((out) => out.amount.toString()),
        byteaArray(mints.map((mint) => mint.bitcoinTxid)),
        int4Array(mints.map((mint) => mint.bitcoinVout)),
        byteaArray(mints.map((mint) => mint.txid)),
        mints.map((mint) => mint.amount.toString()),
        byteaArray(burns.map((burn) => burn.txid)),
        byteaArray(burns.map((burn) => burn.destinationScript)),
        burns.map((burn) => burn.amount.toString()),
        ...spenderColumns(spenders),
      ],
    });
  }

  /** Spenders of blocks stored before the index existed; rows already there stay as they are. */
  async saveSpenders(spenders: (StoredSpender & { height: number })[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO output_spenders (txid, vout, spent_by, input, height)
       SELECT * FROM unnest($1::bytea[], $2::int[], $3::bytea[], $4::int[], $5::bigint[])
       ON CONFLICT DO NOTHING`,
      [...spenderColumns(spenders), spenders.map((spender) => spender.height)],
    );
  }

  /** The highest height with a spender recorded; every block at or below it has all of its spenders. */
  async spendersIndexedThrough(): Promise<number> {
    const result = await this.pool.query<{ height: string | null }>('SELECT max(height) AS height FROM output_spenders');
    return result.rows[0]?.height == null ? 0 : Number(result.rows[0].height);
  }

  /** The spent outputs of one transaction, by output index, with what spent them. */
  async spendersOf(txid: Uint8Array): Promise<(StoredSpender & { height: number })[]> {
    const result = await this.pool.query<{ vout: number; spent_by: Buffer; input: number; height: string }>(
      'SELECT vout, spent_by, input, height FROM output_spenders WHERE txid = $1 ORDER BY vout',
      [buffer(txid)],
    );
    return result.rows.map((row) => ({ txid, vout: row.vout, spentBy: bytesOf(row.spent_by), input: row.input, height: Number(row.height) }));
  }

  /** What spent one output, if a final transaction did. */
  async spenderOf(txid: Uint8Array, vout: number): Promise<(StoredSpender & { height: number }) | undefined> {
    const result = await this.pool.query<{ spent_by: Buffer; input: number; height: string }>(
      // As bigint: an output index is a u32 on the wire, beyond the int column (no output has such an index).
      'SELECT spent_by, input, height FROM output_spenders WHERE txid = $1 AND vout = $2::bigint',
      [buffer(txid), vout],
    );
    const row = result.rows[0];
    return row && { txid, vout, spentBy: bytesOf(row.spent_by), input: row.input, height: Number(row.height) };
  }

  /**
   * Writes a ledger snapshot in one database transaction: a chunk per piece as `pieces` yields
   * them, then its header with `digest()` once they are all written, then drops all but the newest
   * `keep`. Refused unless the store holds block `height` with hash `blockHash`: no snapshot is of
   * a block above the stored tip, or of another chain's. It replaces one stored at that height.
   */
  async saveLedgerSnapshot(point: { height: number; blockHash: Uint8Array }, pieces: AsyncIterable<Uint8Array>, digest: () => Uint8Array, keep: number): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      const stored = await client.query('SELECT 1 FROM blocks WHERE height = $1 AND hash = $2', [point.height, buffer(point.blockHash)]);
      if (stored.rows.length === 0) throw new Error(`the store holds no block ${point.height} of hash ${Buffer.from(point.blockHash).toString('hex')} to take a ledger snapshot at`);
      await client.query('DELETE FROM ledger_snapshots WHERE height = $1', [point.height]);
      let position = 0;
      let size = 0;
      for await (const piece of pieces) {
        await client.query('INSERT INTO ledger_snapshot_chunks (height, position, bytes) VALUES ($1, $2, $3)', [point.height, position++, buffer(piece)]);
        size += piece.length;
      }
      await client.query('INSERT INTO ledger_snapshots (height, block_hash, digest, size) VALUES ($1, $2, $3, $4)', [point.height, buffer(point.blockHash), buffer(digest()), size]);
      // One above this block is of a block this store no longer holds there.
      await client.query('DELETE FROM ledger_snapshots WHERE height > $1 OR height NOT IN (SELECT height FROM ledger_snapshots WHERE height <= $1 ORDER BY height DESC LIMIT $2)', [point.height, keep]);
    });
  }

  async deleteLedgerSnapshot(height: number): Promise<void> {
    await this.pool.query('DELETE FROM ledger_snapshots WHERE height = $1', [height]);
  }

  /** The stored ledger snapshots' headers, newest first. */
  async ledgerSnapshots(): Promise<StoredSnapshot[]> {
    const result = await this.pool.query<{ height: string; block_hash: Buffer; digest: Buffer; size: string }>('SELECT height, block_hash, digest, size FROM ledger_snapshots ORDER BY height DESC');
    return result.rows.map((row) => ({ height: Number(row.height), blockHash: bytesOf(row.block_hash), digest: bytesOf(row.digest), size: Number(row.size) }));
  }

  /** A ledger snapshot's bytes, its chunks joined in order, read a few at a time. */
  async ledgerSnapshotBytes(height: number, chunksPerRead = 16): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for (;;) {
      const result = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM ledger_snapshot_chunks WHERE height = $1 AND position >= $2 ORDER BY position LIMIT $3', [height, chunks.length, chunksPerRead]);
      chunks.push(...result.rows.map((row) => row.bytes));
      if (result.rows.length < chunksPerRead) return new Uint8Array(Buffer.concat(chunks));
    }
  }

  /** The hashes of the stored blocks from height 1 through `height`, a page at a time in height order; a gap ends them early. */
  async *blockHashes(height: number, pageSize = 100_000): AsyncGenerator<{ height: number; hash: Uint8Array }[]> {
    for (let from = 1; from <= height; from += pageSize) {
      const result = await this.pool.query<{ height: string; hash: Buffer }>('SELECT height, hash FROM blocks WHERE height BETWEEN $1 AND $2 ORDER BY height', [from, Math.min(height, from + pageSize - 1)]);
      yield result.rows.map((row) => ({ height: Number(row.height), hash: bytesOf(row.hash) }));
    }
  }

  /** Height of the last stored block; 0 (the genesis, which is not stored) for a new chain. */
  async tipHeight(): Promise<number> {
    const result = await this.pool.query<{ height: string | null }>('SELECT max(height) AS height FROM blocks');
    return result.rows[0]?.height == null ? 0 : Number(result.rows[0].height);
  }

  /**
   * Consecutive final blocks from height `from`: at most `maxBlocks`, and no block after those
   * before it in the answer hold `maxBytes` of transactions (so one large block is still served
   * whole). Empty past the tip.
   */
  async blocksFrom(from: number, maxBlocks: number, maxBytes: number): Promise<StoredBlock[]> {
    // A transaction's length is read from its value's header, without reading the value.
    const blocks = await this.pool.query<{ height: string; hash: Buffer; header: Buffer; commit: Buffer }>(
      `SELECT height, hash, header, commit FROM (
         SELECT height, hash, header, commit, sum(size) OVER (ORDER BY height) - size AS before
         FROM (
           SELECT b.height, b.hash, b.header, b.commit, (SELECT coalesce(sum(octet_length(t.bytes)), 0) FROM transactions t WHERE t.height = b.height) AS size
           FROM blocks b WHERE b.height >= $1 ORDER BY b.height LIMIT $2
         ) AS sized
       ) AS range WHERE before < $3 ORDER BY height`,
      [from, maxBlocks, maxBytes],
    );
    if (blocks.rows.length === 0) return [];
    const last = Number(blocks.rows.at(-1)!.height);
    const txs = await this.pool.query<{ height: string; bytes: Buffer }>('SELECT height, bytes FROM transactions WHERE height BETWEEN $1 AND $2 ORDER BY height, position', [from, last]);
    const byHeight = new Map<number, Uint8Array[]>();
    for (const tx of txs.rows) {
      const height = Number(tx.height);
      let list = byHeight.get(height);
      if (!list) byHeight.set(height, (list = []));
      list.push(bytesOf(tx.bytes));
    }
    return blocks.rows.map((row) => ({ height: Number(row.height), hash: bytesOf(row.hash), header: bytesOf(row.header), commit: bytesOf(row.commit), transactions: byHeight.get(Number(row.height)) ?? [] }));
  }

  async blockAt(height: number): Promise<StoredBlock | null> {
    const [stored] = await this.blocksFrom(height, 1, Number.MAX_SAFE_INTEGER);
    return stored?.height === height ? stored : null;
  }

  async transaction(txid: Uint8Array): Promise<{ height: number; position: number; bytes: Uint8Array } | null> {
    const result = await this.pool.query<{ height: string; position: number; bytes: Buffer }>('SELECT height, position, bytes FROM transactions WHERE txid = $1', [buffer(txid)]);
    const row = result.rows[0];
    return row ? { height: Number(row.height), position: row.position, bytes: bytesOf(row.bytes) } : null;
  }

  /** The height of each of `txids` (hex) that is final, by txid; those not final are absent. One statement for all of them. */
  async finalHeights(txids: readonly string[]): Promise<Map<string, number>> {
    const heights = new Map<string, number>();
    if (txids.length === 0) return heights;
    const result = await this.pool.query<{ txid: Buffer; height: string }>('SELECT txid, height FROM transactions WHERE txid = ANY($1::bytea[])', [
      byteaArray(txids.map((txid) => Buffer.from(txid, 'hex'))),
    ]);
    for (const row of result.rows) heights.set(row.txid.toString('hex'), Number(row.height));
    return heights;
  }

  /** Every unspent output, streamed in pages so a million of them never sit in one result. */
  async *utxos(pageSize = 50_000): AsyncGenerator<StoredOutput[]> {
    let after: { txid: Buffer; vout: number } | null = null;
    for (;;) {
      const result: pg.QueryResult<{ txid: Buffer; vout: number; owner: Buffer; asset: Buffer; amount: string }> = after
        ? await this.pool.query('SELECT txid, vout, owner, asset, amount FROM utxos WHERE (txid, vout) > ($1, $2) ORDER BY txid, vout LIMIT $3', [after.txid, after.vout, pageSize])
        : await this.pool.query('SELECT txid, vout, owner, asset, amount FROM utxos ORDER BY txid, vout LIMIT $1', [pageSize]);
      if (result.rows.length === 0) return;
      yield result.rows.map((row) => ({ txid: bytesOf(row.txid), vout: row.vout, owner: bytesOf(row.owner), asset: bytesOf(row.asset), amount: BigInt(row.amount) }));
      const last = result.rows[result.rows.length - 1]!;
      after = { txid: last.txid, vout: last.vout };
    }
  }

  async mints(): Promise<StoredMint[]> {
    const result = await this.pool.query<{ bitcoin_txid: Buffer; bitcoin_vout: number; txid: Buffer; amount: string }>('SELECT bitcoin_txid, bitcoin_vout, txid, amount FROM pegin_mints');
    return result.rows.map((row) => ({ bitcoinTxid: bytesOf(row.bitcoin_txid), bitcoinVout: row.bitcoin_vout, txid: bytesOf(row.txid), amount: BigInt(row.amount) }));
  }

  /** The mints of one Bitcoin transaction's outputs: which sidechain transaction minted each, and at what height. */
  async mintsOf(bitcoinTxid: Uint8Array): Promise<{ bitcoinVout: number; txid: Uint8Array; height: number }[]> {
    const result = await this.pool.query<{ bitcoin_vout: number; txid: Buffer; height: string }>('SELECT bitcoin_vout, txid, height FROM pegin_mints WHERE bitcoin_txid = $1 ORDER BY bitcoin_vout', [buffer(bitcoinTxid)]);
    return result.rows.map((row) => ({ bitcoinVout: row.bitcoin_vout, txid: bytesOf(row.txid), height: Number(row.height) }));
  }

  /** Every final transaction of the given kinds, in chain order. */
  async transactionsOfKinds(kinds: number[]): Promise<{ height: number; timeMs: bigint; bytes: Uint8Array }[]> {
    const result = await this.pool.query<{ height: string; time_ms: string; bytes: Buffer }>(
      'SELECT t.height, b.time_ms, t.bytes FROM transactions t JOIN blocks b USING (height) WHERE t.kind = ANY($1::smallint[]) ORDER BY t.height, t.position',
      [kinds],
    );
    return result.rows.map((row) => ({ height: Number(row.height), timeMs: BigInt(row.time_ms), bytes: bytesOf(row.bytes) }));
  }

  /** The height of the latest block holding a transaction of none of `kinds` (0 when there is none). */
  async latestHeightExcept(kinds: number[]): Promise<number> {
    const result = await this.pool.query<{ height: string | null }>('SELECT max(height) AS height FROM transactions WHERE NOT (kind = ANY($1::smallint[]))', [kinds]);
    return Number(result.rows[0]?.height ?? 0);
  }

  /** Records the operator's approval of each burn; returns those not approved before, as hex. */
  async approveBurns(txids: Uint8Array[]): Promise<Set<string>> {
    const result = await this.pool.query<{ burn_txid: Buffer }>('INSERT INTO pegout_approvals (burn_txid) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING RETURNING burn_txid', [txids.map(buffer)]);
    return new Set(result.rows.map((row) => row.burn_txid.toString('hex')));
  }

  async approvedBurns(): Promise<Set<string>> {
    const result = await this.pool.query<{ burn_txid: Buffer }>('SELECT burn_txid FROM pegout_approvals');
    return new Set(result.rows.map((row) => row.burn_txid.toString('hex')));
  }

  /** The encoded final transactions of one kind (TxKind), in chain order. */
  async transactionsOfKind(kind: number): Promise<Uint8Array[]> {
    const result = await this.pool.query<{ bytes: Buffer }>('SELECT bytes FROM transactions WHERE kind = $1 ORDER BY height, position', [kind]);
    return result.rows.map((row) => bytesOf(row.bytes));
  }

  async burns(): Promise<StoredBurn[]> {
    const result = await this.pool.query<{ txid: Buffer; destination_script: Buffer; amount: string }>('SELECT txid, destination_script, amount FROM pegout_burns');
    return result.rows.map((row) => ({ txid: bytesOf(row.txid), destinationScript: bytesOf(row.destination_script), amount: BigInt(row.amount) }));
  }

  async balances(owner: Uint8Array): Promise<{ asset: Uint8Array; amount: bigint }[]> {
    const result = await this.pool.query<{ asset: Buffer; amount: string }>('SELECT asset, sum(amount) AS amount FROM utxos WHERE owner = $1 GROUP BY asset ORDER BY asset', [buffer(owner)]);
    return result.rows.map((row) => ({ asset: bytesOf(row.asset), amount: BigInt(row.amount) }));
  }

  /** Records `blockKey` as this database's member unless one is recorded; returns the one recorded. */
  async claimMemberIdentity(blockKey: Uint8Array): Promise<Uint8Array> {
    await this.pool.query('INSERT INTO member_identity (block_key) VALUES ($1) ON CONFLICT DO NOTHING', [buffer(blockKey)]);
    const result = await this.pool.query<{ block_key: Buffer }>('SELECT block_key FROM member_identity');
    return bytesOf(result.rows[0]!.block_key);
  }

  async appendWal(height: number, record: Uint8Array): Promise<void> {
    // Named, so that each connection parses and plans it once: a member appends a few records a height.
    await this.pool.query({ name: 'append-wal', text: 'INSERT INTO consensus_wal (height, record) VALUES ($1, $2)', values: [height, buffer(record)] });
  }

  async walRecords(height: number): Promise<Uint8Array[]> {
    // Named too: a member reads the log at every height, and parsing and planning the read anew
    // was half of its server CPU (120 µs against 55).
    const result = await this.pool.query<{ record: Buffer }>({ name: 'wal-records', text: 'SELECT record FROM consensus_wal WHERE height = $1 ORDER BY seq', values: [height] });
    return result.rows.map((row) => bytesOf(row.record));
  }

  async evidence(limit = 100): Promise<{ kind: string; memberIndex: number; height: number; bytes: Uint8Array }[]> {
    const result = await this.pool.query<{ kind: string; member_index: number; height: string; bytes: Buffer }>(
      'SELECT kind, member_index, height, bytes FROM evidence ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return result.rows.map((row) => ({ kind: row.kind, memberIndex: row.member_index, height: Number(row.height), bytes: bytesOf(row.bytes) }));
  }

  async recordEvidence(evidence: { kind: string; memberIndex: number; height: number; bytes: Uint8Array }): Promise<void> {
    await this.pool.query('INSERT INTO evidence (kind, member_index, height, bytes) VALUES ($1, $2, $3, $4)', [evidence.kind, evidence.memberIndex, evidence.height, buffer(evidence.bytes)]);
  }
}
