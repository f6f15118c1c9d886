import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { Chain, DEFAULT_CHAIN_OPTIONS } from '../../federation/member/chain.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { testFederation } from '../helpers/genesis.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { appendFinalBlock } from '../helpers/final-blocks.ts';
import { paymentChain } from '../helpers/payment-chain.ts';
import { memoryBlockSource } from '../../federation/audit/block-source.ts';
import { applyServedBlocks } from '../../federation/member/catch-up.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';
import { loadMigrations, runMigrations } from '../../sidechain/store/migrate.ts';
import { allRows, copyRowsInto } from '../helpers/database-rows.ts';

const options = { ...DEFAULT_CHAIN_OPTIONS, now: () => BigInt(Date.now()) };
const MIGRATIONS = loadMigrations(fileURLToPath(new URL('../../sidechain/store/migrations', import.meta.url)));

/** Releases operators ran, each with the last schema version it had (OPERATOR.md, "Upgrading"). */
const OLDER_RELEASES = [
  { release: 'of 2026-12-03 (0d7478b)', version: 5 },
  { release: 'of 2026-12-05 (ebd98ad)', version: 7 },
];

function snapshot(chain: Chain) {
  const { ledger } = chain;
  return {
    tip: chain.tip,
    utxos: [...ledger.utxos.entries()].sort(([a], [b]) => a.localeCompare(b)),
    assets: [...ledger.assets.entries()].sort(([a], [b]) => a.localeCompare(b)),
    minted: [...ledger.minted].sort(),
    supply: ledger.supply(),
  };
}

/** What every refusal of a damaged store goes on to say: the remedy, which needs no trust in the store. */
const DAMAGE_REMEDY = ': the database was changed or damaged; restore a backup, or start the member on an empty database and it fetches and checks every block from its peers (OPERATOR.md, "Backups")';

describe('member chain on Postgres across a restart', function () {
  this.timeout(60_000);
  let fixture: ChainFixture;
  beforeEach(async () => {
    fixture = await chainFixture('chain');
  });
  afterEach(() => fixture.drop());

  it('rebuilds exactly the same ledger, tip and balances from the store', async () => {
    const federation = testFederation(5);
    const { db } = fixture;
    const chain = await fixture.open(federation.genesis);
    const alice = testWallet();
    const bob = testWallet();
    const { tx: issue, asset } = issuance(federation.genesis.chainId, alice, 1_000n);
    await appendFinalBlock(chain, federation, [issue]);
    const pay = transfer(federation.genesis.chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, bob.owner, 300n);
    await appendFinalBlock(chain, federation, [pay]);
    const before = snapshot(chain);

    const reopenedPool = new pg.Pool({ connectionString: db.url });
    try {
      const reopened = await Chain.open(federation.genesis, new ChainStore(reopenedPool), options);
      expect(snapshot(reopened)).to.deep.equal(before);
      expect(reopened.tip.height).to.equal(2);
      const balances = await new ChainStore(reopenedPool).balances(bob.owner);
      expect(balances.map((b) => b.amount)).to.deep.equal([300n]);
    } finally {
      await endPool(reopenedPool);
    }
  });

  it('replays a chain longer than the ranges it reads the store in, and refuses a store with a block changed or missing below its tip', async () => {
    const { chain: signed } = paymentChain(250);
    const { db, store } = fixture;
    const chain = await fixture.open(signed.federation.genesis);
    await applyServedBlocks(chain, memoryBlockSource(signed.blocks));
    expect(chain.tip.height).to.equal(250);

    const spenders = (await db.pool.query('SELECT * FROM output_spenders ORDER BY txid, vout')).rows;
    expect(spenders).to.have.length(signed.blocks.reduce((inputs, block) => inputs + block.transactions.reduce((sum, tx) => sum + ('inputs' in tx ? tx.inputs.length : 0), 0), 0));
    // A store written before spenders were kept (migration 007) gets them at the next start, all of them.
    await db.pool.query('DELETE FROM output_spenders WHERE height > 30');
    const reopened = await fixture.open(signed.federation.genesis);
    expect((await db.pool.query('SELECT * FROM output_spenders ORDER BY txid, vout')).rows).to.deep.equal(spenders);
    expect(snapshot(reopened)).to.deep.equal(snapshot(chain));
    for (const height of [1, 100, 101, 200, 201, 250]) expect(reopened.hashAt(height), `hash at ${height}`).to.deep.equal(chain.hashAt(height));

    // A store changed behind the member's back stops its start, whatever part was changed.
    const refusal = () => fixture.open(signed.federation.genesis).then(() => null, (e: Error) => e.message);
    const hash120 = Buffer.from(chain.hashAt(120)!);
    await db.pool.query('UPDATE blocks SET hash = $1 WHERE height = 120', [Buffer.alloc(32)]);
    expect(await refusal()).to.equal(`the store's block 120 does not hash to the hash stored with it${DAMAGE_REMEDY}`);
    await db.pool.query('UPDATE blocks SET hash = $1 WHERE height = 120', [hash120]);
    const { rows } = await db.pool.query<{ bytes: Buffer }>('SELECT bytes FROM transactions WHERE height = 120');
    await db.pool.query('UPDATE transactions SET bytes = (SELECT bytes FROM transactions WHERE height = 121) WHERE height = 120');
    expect(await refusal()).to.equal(`the store's block 120 is not the chain's: block 120 transaction root does not match its transactions${DAMAGE_REMEDY}`);
    await db.pool.query('UPDATE transactions SET bytes = $1 WHERE height = 120', [rows[0]!.bytes]);
    expect(snapshot(await fixture.open(signed.federation.genesis))).to.deep.equal(snapshot(chain));

    await db.pool.query('DELETE FROM transactions WHERE height = 150');
    await db.pool.query('DELETE FROM blocks WHERE height = 150');
    const error = await fixture.open(signed.federation.genesis).then(() => null, (e: Error) => e);
    expect(error?.message).to.equal(`the store has no block 150 below its tip 250${DAMAGE_REMEDY}`);
  });

  it("refuses, naming both chains, a store that holds another chain's blocks: a config naming another chain's database or genesis", async () => {
    const { chain: signed } = paymentChain(3);
    await applyServedBlocks(await fixture.open(signed.federation.genesis), memoryBlockSource(signed.blocks));
    const other = testFederation(5).genesis;
    const error = await fixture.open(other).then(() => null, (e: Error) => e);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(error?.message).to.equal(
      `the member's database holds blocks of chain ${hex(signed.federation.genesis.chainId)}, not of this genesis's chain ${hex(other.chainId)}: the config names another chain's database (databaseUrl, DATABASE_URL or dataDir) or another chain's genesis (genesisFile)`,
    );
  });

  it('applies a block its store already holds: a killed member’s statement that committed after the restart loaded the tip below', async () => {
    const federation = testFederation(5);
    const { store } = fixture;
    const killed = await fixture.open(federation.genesis);
    const alice = testWallet();
    const { tx: issue, asset } = issuance(federation.genesis.chainId, alice, 1_000n);
    await appendFinalBlock(killed, federation, [issue]);
    // The restarted member loads height 1; the killed one's block 2 lands in the store after that.
    const restarted = await fixture.open(federation.genesis);
    const stale = await fixture.open(federation.genesis);
    const pay = transfer(federation.genesis.chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, testWallet().owner, 300n);
    await appendFinalBlock(killed, federation, [pay]);
    expect(restarted.tip.height).to.equal(1);

    const block2 = await killed.finalBlockAt(2);
    await restarted.applyFinalBlock(block2!.block, block2!.commit);
    expect(snapshot(restarted)).to.deep.equal(snapshot(killed));

    // Another block 2 than the one stored is refused, and changes neither the store nor memory.
    const before = snapshot(stale);
    const otherPay = transfer(federation.genesis.chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, testWallet().owner, 400n);
    const error = await appendFinalBlock(stale, federation, [otherPay]).then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/stored outputs spent|duplicate key/);
    expect(snapshot(stale)).to.deep.equal(before);
    expect(await store.tipHeight()).to.equal(2);
    expect((await store.blockAt(2))!.hash).to.deep.equal(block2 && killed.hashAt(2));
  });

  for (const { release, version } of OLDER_RELEASES) {
    it(`opens a database the release ${release} wrote at schema version ${version}: migrated, it holds row for row what this release writes, and goes on`, async () => {
      const { chain: signed } = paymentChain(60);
      const { genesis } = signed.federation;
      const { db, store } = fixture;
      const chain = await fixture.open(genesis);
      await applyServedBlocks(chain, memoryBlockSource(signed.blocks.slice(0, 50)));
      // What a member writes besides blocks: its vote log at the open height and its peg-out approvals.
      await store.appendWal(51, Uint8Array.of(1, 2, 3));
      await store.approveBurns([new Uint8Array(32).fill(7)]);

      const older = await freshDatabase('chain_older');
      try {
        // The older release's schema, built by its own migrations, holding the rows it wrote.
        await runMigrations(older.pool, MIGRATIONS.filter((migration) => migration.version <= version));
        await copyRowsInto(db.pool, older.pool);
        const upgradedStore = new ChainStore(older.pool);
        expect(await upgradedStore.migrate()).to.deep.equal(MIGRATIONS.filter((migration) => migration.version > version).map((migration) => migration.version));
        const upgraded = await Chain.open(genesis, upgradedStore, options);
        expect(snapshot(upgraded)).to.deep.equal(snapshot(chain));
        expect(await allRows(older.pool)).to.deep.equal(await allRows(db.pool));

        for (const member of [chain, upgraded]) await applyServedBlocks(member, memoryBlockSource(signed.blocks));
        expect(upgraded.tip.height).to.equal(60);
        expect(snapshot(upgraded)).to.deep.equal(snapshot(chain));
        expect(await allRows(older.pool)).to.deep.equal(await allRows(db.pool));
      } finally {
        await older.drop();
      }
    });
  }

  it('refuses a block whose certificate is short of k signatures, and nothing is stored', async () => {
    const federation = testFederation(5);
    const { store } = fixture;
    const chain = await fixture.open(federation.genesis);
    const { tx } = issuance(federation.genesis.chainId, testWallet(), 5n);
    // The helper signs with as many members as the threshold it is given: three, one short.
    const threeSigners = { ...federation, genesis: { ...federation.genesis, members: { ...federation.genesis.members, threshold: 3 } } };
    const error = await appendFinalBlock(chain, threeSigners, [tx]).then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/3 signatures, 4 required/);
    expect(await store.tipHeight()).to.equal(0);
    expect(chain.tip.height).to.equal(0);
  });
});
