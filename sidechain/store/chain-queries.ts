import type pg from 'pg';

/** A final block as lists show it: what the header and certificate say, without the transactions. */
export interface BlockRow {
  height: number;
  hash: Uint8Array;
  header: Uint8Array;
  commit: Uint8Array;
  txCount: number;
  timeMs: bigint;
}

export interface TransactionRow {
  txid: Uint8Array;
  height: number;
  position: number;
  kind: number;
}

export interface BurnRow {
  txid: Uint8Array;
  height: number;
  destinationScript: Uint8Array;
  amount: bigint;
}

/** A final dividend transaction on one security. */
export interface DividendRow {
  txid: Uint8Array;
  height: number;
  position: number;
  bytes: Uint8Array;
}

export interface UtxoRow {
  txid: Uint8Array;
  vout: number;
  asset: Uint8Array;
  amount: bigint;
  height: number;
}

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const bytesOf = (value: Buffer) => new Uint8Array(value);

const SELECT_BLOCK = 'SELECT height, hash, header, commit, tx_count, time_ms FROM blocks';
type BlockColumns = { height: string; hash: Buffer; header: Buffer; commit: Buffer; tx_count: number; time_ms: string };
const blockRow = (row: BlockColumns): BlockRow => ({ height: Number(row.height), hash: bytesOf(row.hash), header: bytesOf(row.header), commit: bytesOf(row.commit), txCount: row.tx_count, timeMs: BigInt(row.time_ms) });

/**
 * Paged reads of the final chain for the API and the explorer. Every query walks an index in
 * key order from a cursor (keyset pagination), so a page costs the same at any depth and a
 * block appended between two pages neither repeats nor skips a row.
 */
export class ChainQueries {
  constructor(private readonly pool: pg.Pool) {}

  /** Blocks at `fromHeight` and below, newest first. */
  async blocksDown(fromHeight: number, limit: number): Promise<BlockRow[]> {
    const result = await this.pool.query<BlockColumns>(`${SELECT_BLOCK} WHERE height <= $1 ORDER BY height DESC LIMIT $2`, [fromHeight, limit]);
    return result.rows.map(blockRow);
  }

  /** The final block with this hash, if any (the hash column is unique, so indexed). */
  async blockWithHash(hash: Uint8Array): Promise<BlockRow | undefined> {
    const result = await this.pool.query<BlockColumns>(`${SELECT_BLOCK} WHERE hash = $1`, [buffer(hash)]);
    return result.rows.map(blockRow)[0];
  }

  /** Final transactions strictly before (height, position), newest first; from the tip without a cursor. */
  async transactionsDown(before: { height: number; position: number } | null, limit: number): Promise<TransactionRow[]> {
    const result = await this.pool.query<{ txid: Buffer; height: string; position: number; kind: number }>(
      before
        ? 'SELECT txid, height, position, kind FROM transactions WHERE (height, position) < ($1, $2) ORDER BY height DESC, position DESC LIMIT $3'
        : 'SELECT txid, height, position, kind FROM transactions ORDER BY height DESC, position DESC LIMIT $1',
      before ? [before.height, before.position, limit] : [limit],
    );
    return result.rows.map((row) => ({ txid: bytesOf(row.txid), height: Number(row.height), position: row.position, kind: row.kind }));
  }

  /** Final burns strictly before (height, txid), newest first; from the tip without a cursor. */
  async burnsDown(before: { height: number; txid: Uint8Array } | null, limit: number): Promise<BurnRow[]> {
    const result = await this.pool.query<{ txid: Buffer; height: string; destination_script: Buffer; amount: string }>(
      before
        ? 'SELECT txid, height, destination_script, amount FROM pegout_burns WHERE (height, txid) < ($1, $2) ORDER BY height DESC, txid DESC LIMIT $3'
        : 'SELECT txid, height, destination_script, amount FROM pegout_burns ORDER BY height DESC, txid DESC LIMIT $1',
      before ? [before.height, buffer(before.txid), limit] : [limit],
    );
    return result.rows.map((row) => ({ txid: bytesOf(row.txid), height: Number(row.height), destinationScript: bytesOf(row.destination_script), amount: BigInt(row.amount) }));
  }

  /** Final dividends on `asset` strictly after (height, position), oldest first; from the first without a cursor. */
  async dividendsOf(asset: Uint8Array, after: { height: number; position: number } | null, limit: number): Promise<DividendRow[]> {
    const result = await this.pool.query<{ txid: Buffer; height: string; position: number; bytes: Buffer }>(
      after
        ? 'SELECT d.txid, d.height, d.position, t.bytes FROM asset_dividends d JOIN transactions t USING (txid) WHERE d.asset = $1 AND (d.height, d.position) > ($2, $3) ORDER BY d.height, d.position LIMIT $4'
        : 'SELECT d.txid, d.height, d.position, t.bytes FROM asset_dividends d JOIN transactions t USING (txid) WHERE d.asset = $1 ORDER BY d.height, d.position LIMIT $2',
      after ? [buffer(asset), after.height, after.position, limit] : [buffer(asset), limit],
    );
    return result.rows.map((row) => ({ txid: bytesOf(row.txid), height: Number(row.height), position: row.position, bytes: bytesOf(row.bytes) }));
  }

  /** Unspent outputs of one owner, oldest first, strictly after the cursor. */
  async utxosOf(owner: Uint8Array, after: { height: number; txid: Uint8Array; vout: number } | null, limit: number): Promise<UtxoRow[]> {
    const result = await this.pool.query<{ txid: Buffer; vout: number; asset: Buffer; amount: string; height: string }>(
      after
        ? 'SELECT txid, vout, asset, amount, height FROM utxos WHERE owner = $1 AND (height, txid, vout) > ($2, $3, $4) ORDER BY height, txid, vout LIMIT $5'
        : 'SELECT txid, vout, asset, amount, height FROM utxos WHERE owner = $1 ORDER BY height, txid, vout LIMIT $2',
      after ? [buffer(owner), after.height, buffer(after.txid), after.vout, limit] : [buffer(owner), limit],
    );
    return result.rows.map((row) => ({ txid: bytesOf(row.txid), vout: row.vout, asset: bytesOf(row.asset), amount: BigInt(row.amount), height: Number(row.height) }));
  }

  /** How many distinct owners hold some of `asset`: public, unlike who they are. */
  async holderCount(asset: Uint8Array): Promise<number> {
    const result = await this.pool.query<{ holders: string }>('SELECT count(DISTINCT owner) AS holders FROM utxos WHERE asset = $1', [buffer(asset)]);
    return Number(result.rows[0]?.holders ?? 0);
  }
}
