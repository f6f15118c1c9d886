import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { ChainStore, type BlockRecord } from '../../sidechain/store/chain-store.ts';
import { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import { loadMigrations, runMigrations } from '../../sidechain/store/migrate.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { TxKind } from '../../sidechain/transaction/types.ts';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { chainFixture } from '../helpers/chain-fixture.ts';
import { issuerSigned, testWallet } from '../helpers/transactions.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

const bytes = (length: number) => new Uint8Array(randomBytes(length));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');
const MIGRATIONS = loadMigrations(fileURLToPath(new URL('../../sidechain/store/migrations', import.meta.url)));
/** The last schema before dividends were indexed by security (010_asset_dividends.sql). */
const BEFORE_DIVIDEND_INDEX = 9;
/** The first schema with dividends indexed by security, under which a member of an older release could still store blocks. */
const AFTER_DIVIDEND_INDEX = 10;

function block(height: number, overrides: Partial<BlockRecord> = {}): BlockRecord {
  return { height, hash: bytes(32), header: bytes(120), commit: bytes(300), timeMs: 1_700_000_000_000n + BigInt(height), transactions: [], spent: [], spenders: [], created: [], mints: [], burns: [], ...overrides };
}

describe('chain store (real Postgres)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let store: ChainStore;

  beforeEach(async () => {
    ({ db, store } = await chainFixture('chainstore'));
  });
  afterEach(() => db.drop());

  it('stores a block with its transactions and state changes, and reads them back after a reconnect', async () => {
    const txid = bytes(32);
    const owner = bytes(33);
    const asset = bytes(32);
    await store.saveBlock(block(1, {
      transactions: [{ txid, kind: 2, bytes: bytes(90) }],
      created: [{ txid, vout: 0, owner, asset, amount: 9_223_372_036_854_775_807n }],
      mints: [{ bitcoinTxid: bytes(32), bitcoinVout: 1, txid, amount: 9_223_372_036_854_775_807n }],
    }));
    const reopened = new ChainStore(new pg.Pool({ connectionString: db.url }));
    try {
      expect(await reopened.tipHeight()).to.equal(1);
      expect((await reopened.balances(owner)).map((b) => b.amount)).to.deep.equal([9_223_372_036_854_775_807n]);
      expect(await reopened.mints()).to.have.length(1);
      const pages = [];
      for await (const page of reopened.utxos()) pages.push(...page);
      expect(pages).to.have.length(1);
      expect(pages[0]!.amount).to.equal(9_223_372_036_854_775_807n);
      expect((await reopened.transaction(txid))?.height).to.equal(1);
    } finally {
      await endPool(reopened.pool);
    }
  });

  it('writes nothing of a block whose state changes do not match the stored state', async () => {
    const error = await store.saveBlock(block(1, { transactions: [{ txid: bytes(32), kind: 1, bytes: bytes(10) }], spent: [{ txid: bytes(32), vout: 0 }] })).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.match(/1 inputs but 0 stored outputs spent/);
    expect(await store.tipHeight()).to.equal(0);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM transactions')).rows[0].n).to.equal(0);
  });

  it('refuses a second mint of the same Bitcoin outpoint', async () => {
    const mint = { bitcoinTxid: bytes(32), bitcoinVout: 0, txid: bytes(32), amount: 1000n };
    await store.saveBlock(block(1, { mints: [mint] }));
    const error = await store.saveBlock(block(2, { mints: [{ ...mint, txid: bytes(32) }] })).then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.match(/duplicate key/);
    expect(await store.tipHeight()).to.equal(1);
  });

  it('writes nothing of a block any part of which fails: no transaction, spend, spender, output, burn, dividend or log change', async () => {
    const mint = { bitcoinTxid: bytes(32), bitcoinVout: 0, txid: bytes(32), amount: 1000n };
    const coin = { txid: mint.txid, vout: 0, owner: bytes(33), asset: bytes(32), amount: 1000n };
    await store.saveBlock(block(1, { transactions: [{ txid: mint.txid, kind: 2, bytes: bytes(90) }], created: [coin], mints: [mint] }));
    await store.appendWal(2, new Uint8Array([1]));
    const before = await tables();
    const spender = bytes(32);
    const error = await store
      .saveBlock(
        block(2, {
          transactions: [{ txid: spender, kind: 1, bytes: bytes(90) }, { txid: bytes(32), kind: TxKind.dividend, bytes: bytes(90) }],
          spent: [{ txid: coin.txid, vout: 0 }],
          spenders: [{ txid: coin.txid, vout: 0, spentBy: spender, input: 0 }],
          created: [{ ...coin, txid: spender }],
          burns: [{ txid: spender, destinationScript: bytes(22), amount: 1n }],
          mints: [{ ...mint, txid: spender }],
        }),
      )
      .then(() => null, (e: unknown) => e);
    expect((error as Error).message).to.match(/duplicate key/);
    expect(await tables()).to.deep.equal(before);
  });

  /** Every row of every table a block writes, in a stable order. */
  async function tables(): Promise<Record<string, unknown[]>> {
    const rows: Record<string, unknown[]> = {};
    for (const table of ['blocks', 'transactions', 'utxos', 'output_spenders', 'pegin_mints', 'pegout_burns', 'asset_dividends', 'consensus_wal']) {
      rows[table] = (await db.pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
    }
    return rows;
  }

  it('reads consecutive blocks from a height, stopping once the blocks before hold the byte bound', async () => {
    const txs = (count: number) => Array.from({ length: count }, () => ({ txid: bytes(32), kind: 1, bytes: bytes(20) }));
    const saved = [block(1, { transactions: txs(3) }), block(2, { transactions: txs(4) }), block(3), block(4, { transactions: txs(2) })];
    for (const one of saved) await store.saveBlock(one);
    const heights = async (from: number, maxBlocks: number, maxBytes: number) => (await store.blocksFrom(from, maxBlocks, maxBytes)).map((one) => one.height);
    expect(await heights(1, 100, 1_000)).to.deep.equal([1, 2, 3, 4]);
    expect(await heights(2, 2, 1_000)).to.deep.equal([2, 3]);
    // Transactions of 20 bytes: block 2 starts below the bound (60 bytes before it) and is served whole; block 3 would start at 140.
    expect(await heights(1, 100, 61)).to.deep.equal([1, 2]);
    expect(await heights(1, 100, 60)).to.deep.equal([1]);
    expect(await heights(1, 100, 1)).to.deep.equal([1]);
    expect(await heights(5, 100, 1_000)).to.deep.equal([]);
    const [first] = await store.blocksFrom(2, 1, 100);
    expect(first).to.deep.equal({ height: 2, hash: saved[1]!.hash, header: saved[1]!.header, commit: saved[1]!.commit, transactions: saved[1]!.transactions.map((tx) => tx.bytes) });
  });

  it('finds the outputs a block spends by key, not by reading the UTXO set, also once the set has outgrown the size it had when the statement was planned', async () => {
    // One connection, so every block goes through the one plan it keeps of the statement.
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const single = new ChainStore(pool);
    try {
      const spend = (height: number, txid: Uint8Array, vout: number) => {
        const spender = bytes(32);
        return block(height, {
          transactions: [{ txid: spender, kind: TxKind.transfer, bytes: bytes(100) }],
          spent: [{ txid, vout }],
          spenders: [{ txid, vout, spentBy: spender, input: 0 }],
          created: [{ txid: spender, vout: 0, owner: bytes(33), asset: bytes(32), amount: 1n }],
        });
      };
      // A new chain's few outputs: the statement is planned (for good from its sixth use) on a small set.
      let coin: Uint8Array = bytes(32);
      await single.saveBlock(block(1, { created: [{ txid: coin, vout: 0, owner: bytes(33), asset: bytes(32), amount: 1n }] }));
      for (let height = 2; height <= 8; height++) {
        const next = spend(height, coin, 0);
        await single.saveBlock(next);
        coin = next.transactions[0]!.txid;
      }
      const split = bytes(32);
      await single.saveBlock(block(9, { created: Array.from({ length: 20_000 }, (_, vout) => ({ txid: split, vout, owner: bytes(33), asset: bytes(32), amount: 1n })) }));
      const wholeReads = async () => {
        await pool.query('SELECT pg_stat_force_next_flush()');
        return Number((await pool.query<{ reads: string }>("SELECT seq_scan AS reads FROM pg_stat_user_tables WHERE relname = 'utxos'")).rows[0]!.reads);
      };
      const before = await wholeReads();
      for (let height = 10; height <= 14; height++) await single.saveBlock(spend(height, split, height));
      expect(await wholeReads()).to.equal(before);
      // Each spent its output and created one: the chain's last coin and the split's 20,000.
      expect((await pool.query<{ count: string }>('SELECT count(*) FROM utxos')).rows[0]!.count).to.equal('20001');
    } finally {
      await endPool(pool);
    }
  });

  it('keeps write-ahead-log records until their height is stored', async () => {
    await store.appendWal(1, new Uint8Array([1]));
    await store.appendWal(1, new Uint8Array([2]));
    await store.appendWal(2, new Uint8Array([3]));
    expect((await store.walRecords(1)).map((r) => r[0])).to.deep.equal([1, 2]);
    await store.saveBlock(block(1));
    expect(await store.walRecords(1)).to.deep.equal([]);
    expect((await store.walRecords(2)).map((r) => r[0])).to.deep.equal([3]);
  });
  it('keeps which transaction spent each output, and fills in older blocks without touching what it has', async () => {
    const [created, spender, other] = [bytes(32), bytes(32), bytes(32)];
    const row = (vout: number, spentBy: Uint8Array, input: number) => ({ txid: created, vout, spentBy, input });
    await store.saveBlock(block(1, { spenders: [row(0, spender, 0), row(2, spender, 1)] }));
    const of = async () => (await store.spendersOf(created)).map((s) => [s.vout, Buffer.from(s.spentBy).toString('hex'), s.input, s.height]);
    expect(await of()).to.deep.equal([[0, hex(spender), 0, 1], [2, hex(spender), 1, 1]]);
    expect(await store.spendersIndexedThrough()).to.equal(1);
    await store.saveSpenders([{ ...row(0, other, 5), height: 7 }, { ...row(1, other, 0), height: 7 }]);
    expect(await of()).to.deep.equal([[0, hex(spender), 0, 1], [1, hex(other), 0, 7], [2, hex(spender), 1, 1]]);
    expect(await store.spendersIndexedThrough()).to.equal(7);
    expect(await store.spendersOf(bytes(32))).to.deep.equal([]);
    const one = await store.spenderOf(created, 1);
    expect(one && [one.vout, hex(one.spentBy), one.input, one.height]).to.deep.equal([1, hex(other), 0, 7]);
    expect(await store.spenderOf(created, 3)).to.equal(undefined);
    expect(await store.spenderOf(created, 0xffffffff)).to.equal(undefined);
  });

  describe("a security's dividends", () => {
    const chainId = bytes(32);
    const issuer = testWallet();
    const [shares, bonds] = [bytes(32), bytes(32)];
    const dividend = (asset: Uint8Array) => {
      const tx = issuerSigned(chainId, issuer, { kind: 'dividend', asset, recordHeight: 1, inputs: [{ txid: bytes(32), index: 0 }], outputs: [{ owner: testWallet().owner, asset: BTC_ASSET_ID, amount: 1_000n }] });
      return { txid: txId(tx), kind: TxKind.dividend, bytes: encodeTransaction(tx) };
    };
    const transfer = () => ({ txid: bytes(32), kind: TxKind.transfer, bytes: bytes(90) });
    const blocks = () => [
      block(1, { transactions: [transfer(), dividend(shares)] }),
      block(2, { transactions: [dividend(bonds), dividend(shares), dividend(shares)] }),
      block(3, { transactions: [transfer()] }),
      block(4, { transactions: [dividend(shares)] }),
    ];
    /** Every dividend of each security, read two at a time: where each page ends, and what each row holds. */
    async function dividendPages(pool: pg.Pool): Promise<Record<string, unknown[][]>> {
      const queries = new ChainQueries(pool);
      const pages: Record<string, unknown[][]> = {};
      for (const [name, asset] of Object.entries({ shares, bonds, other: bytes(32) })) {
        pages[name] = [];
        let after: { height: number; position: number } | null = null;
        for (;;) {
          const page = await queries.dividendsOf(asset, after, 2);
          pages[name].push(page.map((row) => [hex(row.txid), row.height, row.position, hex(row.bytes)]));
          if (page.length < 2) break;
          after = page.at(-1)!;
        }
      }
      return pages;
    }

    it('lists the dividends on one security only, oldest first, a page after the cursor at a time, from rows written with each block', async () => {
      const saved = blocks();
      for (const one of saved) await store.saveBlock(one);
      const row = (height: number, position: number) => {
        const tx = saved[height - 1]!.transactions[position]!;
        return [hex(tx.txid), height, position, hex(tx.bytes)];
      };
      expect(await dividendPages(db.pool)).to.deep.equal({
        shares: [[row(1, 1), row(2, 1)], [row(2, 2), row(4, 0)], []],
        bonds: [[row(2, 0)]],
        other: [[]],
      });
    });

    /**
     * This store's blocks, also written into a database at schema `version` as a release before
     * the index stored them (the blocks and their transactions); `check` then runs on that database,
     * which is dropped after.
     */
    async function withOlderDatabase(version: number, check: (pool: pg.Pool) => Promise<void>): Promise<void> {
      const saved = blocks();
      for (const one of saved) await store.saveBlock(one);
      const previous = await freshDatabase('chainstore_previous');
      try {
        await runMigrations(previous.pool, MIGRATIONS.filter((migration) => migration.version <= version));
        for (const one of saved) {
          await previous.pool.query('INSERT INTO blocks (height, hash, header, commit, tx_count, time_ms) VALUES ($1, $2, $3, $4, $5, $6)', [
            one.height, Buffer.from(one.hash), Buffer.from(one.header), Buffer.from(one.commit), one.transactions.length, one.timeMs.toString(),
          ]);
          for (const [position, tx] of one.transactions.entries()) {
            await previous.pool.query('INSERT INTO transactions (txid, height, position, kind, bytes) VALUES ($1, $2, $3, $4, $5)', [Buffer.from(tx.txid), one.height, position, tx.kind, Buffer.from(tx.bytes)]);
          }
        }
        await check(previous.pool);
      } finally {
        await previous.drop();
      }
    }

    const versionsAfter = (version: number) => MIGRATIONS.filter((migration) => migration.version > version).map((migration) => migration.version);

    it('answers the same from a database whose blocks were stored before the index, once migrated', () =>
      withOlderDatabase(BEFORE_DIVIDEND_INDEX, async (pool) => {
        const upgraded = new ChainStore(pool);
        expect(await upgraded.migrate()).to.deep.equal(versionsAfter(BEFORE_DIVIDEND_INDEX));
        expect(await dividendPages(pool)).to.deep.equal(await dividendPages(db.pool));
        // The blocks stored after the upgrade are indexed as they are stored.
        const next = block(5, { transactions: [dividend(bonds)] });
        for (const one of [store, upgraded]) await one.saveBlock(next);
        expect(await dividendPages(pool)).to.deep.equal(await dividendPages(db.pool));
      }));

    it('answers the same from a database whose member of an older release stored dividends after an operator command had migrated it, once migrated again', () =>
      withOlderDatabase(AFTER_DIVIDEND_INDEX, async (pool) => {
        expect(await new ChainStore(pool).migrate()).to.deep.equal(versionsAfter(AFTER_DIVIDEND_INDEX));
        expect(await dividendPages(pool)).to.deep.equal(await dividendPages(db.pool));
      }));
  });
});
