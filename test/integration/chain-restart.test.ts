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
import { dividendHolders, dividendOutputs } from '../../sidechain/ledger/dividend.ts';
import { encodeLedger, freezeLedger, ledgerDigest } from '../../sidechain/ledger/snapshot.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { PegoutBody, Transaction } from '../../sidechain/transaction/types.ts';
import type { TestFederation } from '../helpers/genesis.ts';
import { bitcoinTxid, settlementOf } from '../helpers/ledger-fixtures.ts';
import { bitcoinDestination } from '../helpers/peg-workload.ts';
import { issuerSigned, type TestWallet } from '../helpers/transactions.ts';

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

type Coin = { txid: Uint8Array; index: number; amount: bigint };

/**
 * `length` final blocks appended to `chain` holding every kind of change a ledger keeps: peg-in
 * mints, burns and the settlements paying them (the last burn left unpaid), issuances of a share
 * and of a restricted, reissuable bond, transfers of both, allowlist additions and removals,
 * re-issuances, and dividends paid at a past record height. Returns what a reader would ask about.
 */
async function securitiesHistory(chain: Chain, federation: TestFederation, length: number) {
  const chainId = federation.genesis.chainId;
  const [alice, bob, carol, bondIssuer] = [testWallet(), testWallet(), testWallet(), testWallet()];
  const mint = (n: number, to: TestWallet, amount: bigint): Transaction => ({ kind: 'pegin', bitcoinTxid: bitcoinTxid(n), bitcoinVout: n % 3, amount, recipient: to.owner, witnesses: [] });
  const share = issuance(chainId, alice, 100_000n);
  const bond = issuance(chainId, bondIssuer, 1_000_000n, 1n, { name: 'Acme 2031 bond', securityKind: 'bond', restricted: true, reissuable: true });
  const deposit = mint(1, alice, 50_000_000n);
  let btc: Coin = { txid: txId(deposit), index: 0, amount: 50_000_000n };
  let shares: Coin = { txid: txId(share.tx), index: 0, amount: 100_000n };
  let bonds: Coin = { txid: txId(bond.tx), index: 0, amount: 1_000_000n };
  let sequence = 0n;
  const registry = (action: 'add' | 'remove', owners: TestWallet[]) => issuerSigned(chainId, bondIssuer, { kind: 'registry', asset: bond.asset, sequence: ++sequence, action, owners: owners.map((owner) => owner.owner) });
  await appendFinalBlock(chain, federation, [deposit, mint(2, bob, 3_000_000n), share.tx, bond.tx]);
  await appendFinalBlock(chain, federation, [registry('add', [bob, carol])]);
  let burn: { tx: Transaction; script: Uint8Array } | undefined;
  while (chain.tip.height < length) {
    const height = chain.tip.height + 1;
    const txs: Transaction[] = [];
    const pay = transfer(chainId, alice, shares, share.asset, (height % 2 ? bob : carol).owner, 1n);
    txs.push(pay);
    shares = { txid: txId(pay), index: 1, amount: shares.amount - 1n };
    if (height % 7 === 0) {
      const payBond = transfer(chainId, bondIssuer, bonds, bond.asset, (height % 90 < 45 ? carol : bob).owner, 10n);
      txs.push(payBond);
      bonds = { txid: txId(payBond), index: 1, amount: bonds.amount - 10n };
    }
    if (height % 30 === 0) txs.push(issuerSigned(chainId, bondIssuer, { kind: 'reissuance', asset: bond.asset, sequence: ++sequence, amount: 500n, recipient: bondIssuer.owner }));
    if (height % 90 === 45) txs.push(registry('remove', [carol]));
    if (height % 90 === 0) txs.push(registry('add', [carol]));
    if (height % 20 === 0) txs.push(mint(height, carol, 1_000_000n + BigInt(height)));
    if (height % 40 === 15) {
      const script = bitcoinDestination().script;
      const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: btc.txid, index: btc.index }], outputs: [{ owner: alice.owner, asset: BTC_ASSET_ID, amount: btc.amount - 200_000n }], destinationScript: script, amount: 200_000n };
      burn = { tx: { ...body, witnesses: [keyWitness(chainId, body, alice.keys.seed)] }, script };
      txs.push(burn.tx);
      btc = { txid: txId(burn.tx), index: 0, amount: btc.amount - 200_000n };
    }
    if (height % 40 === 16 && height + 40 < length) txs.push(settlementOf([txId(burn!.tx)], [{ script: burn!.script, value: 199_000n }], height));
    if (height % 50 === 0) {
      const recordHeight = height - 1;
      const outputs = dividendOutputs(10_000n, dividendHolders(chain.ledger.holdersAt(toHexKey(share.asset), recordHeight), alice.keys.publicKey));
      outputs.push({ owner: alice.owner, asset: BTC_ASSET_ID, amount: btc.amount - 10_000n });
      const dividend = issuerSigned(chainId, alice, { kind: 'dividend', asset: share.asset, recordHeight, inputs: [{ txid: btc.txid, index: btc.index }], outputs });
      txs.push(dividend);
      btc = { txid: txId(dividend), index: outputs.length - 1, amount: btc.amount - 10_000n };
    }
    await appendFinalBlock(chain, federation, txs);
  }
  const next = (to: TestWallet) => {
    const pay = transfer(chainId, alice, shares, share.asset, to.owner, 1n);
    shares = { txid: txId(pay), index: 1, amount: shares.amount - 1n };
    return pay;
  };
  return { assets: [share.asset, bond.asset].map(toHexKey), owners: [alice, bob, carol, bondIssuer].map((wallet) => toHexKey(wallet.owner)), next };
}

const toHexKey = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Everything a reader asks of a member's ledger and chain, at every height for the register. */
function readers(chain: Chain, assets: string[], owners: string[]) {
  const { ledger } = chain;
  const heights = Array.from({ length: chain.tip.height + 1 }, (_, height) => height);
  return {
    ...snapshot(chain),
    hashes: heights.map((height) => chain.hashAt(height)),
    records: assets.map((key) => ({ ...ledger.getAsset(key)!, allowlist: [...ledger.getAsset(key)!.allowlist].sort() })),
    holders: assets.map((key) => heights.map((height) => ledger.holdersAt(key, height))),
    balances: assets.map((key) => owners.map((owner) => ledger.holding(key, owner))),
    histories: owners.map((owner) => ledger.holdings.historyOf(owner)),
    burns: [...ledger.burns.keys()].sort().map((txid) => ledger.getBurn(txid)),
    unpaid: ledger.unpaidBurns(),
    digest: ledgerDigest(encodeLedger(freezeLedger(ledger, { height: chain.tip.height, blockHash: chain.tip.hash }))),
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

  describe('from a snapshot of its ledger', () => {
    const every100 = { snapshotIntervalBlocks: 100 };

    it('writes one every interval, loads the newest and replays only the blocks above it, and then answers every reader as a replay from the genesis does', async () => {
      const federation = testFederation(5);
      const { genesis } = federation;
      const { store } = fixture;
      const chain = await fixture.open(genesis, every100);
      expect(chain.started).to.deep.equal({ ignored: [] });
      const { assets, owners, next } = await securitiesHistory(chain, federation, 260);
      await chain.idle();
      const written = await store.ledgerSnapshots();
      expect(written.map((row) => [row.height, toHexKey(row.blockHash)])).to.deep.equal([200, 100].map((height) => [height, toHexKey(chain.hashAt(height)!)]));
      const expected = readers(chain, assets, owners);
      expect(expected.unpaid.count).to.equal(1);
      expect(expected.burns.filter((burn) => burn!.settlement !== undefined)).to.have.length(6);
      expect(expected.records[1]!.allowlist).to.have.length(2);

      const loaded = await fixture.open(genesis, every100);
      expect(loaded.started).to.deep.equal({ snapshotHeight: 200, ignored: [] });
      expect(readers(loaded, assets, owners)).to.deep.equal(expected);
      const replayed = await fixture.open(genesis, every100, { replayFromGenesis: true });
      expect(replayed.started).to.deep.equal({ ignored: [], verified: { height: 200, agreed: true } });
      expect(readers(replayed, assets, owners)).to.deep.equal(expected);

      // The loaded ledger goes on: a block spending an output it loaded, then a stop's snapshot at the tip.
      await appendFinalBlock(loaded, federation, [next(testWallet())]);
      await loaded.snapshotAtTip();
      expect((await store.ledgerSnapshots()).map((row) => row.height)).to.deep.equal([261, 200]);
      const after = readers(loaded, assets, owners);
      const reloaded = await fixture.open(genesis, every100);
      expect(reloaded.started).to.deep.equal({ snapshotHeight: 261, ignored: [] });
      expect(readers(reloaded, assets, owners)).to.deep.equal(after);
      expect(readers(await fixture.open(genesis, every100, { replayFromGenesis: true }), assets, owners)).to.deep.equal(after);
    });

    it('ignores a snapshot that is damaged, of another block or of another height, says why, and starts from an older one or from the genesis', async () => {
      const federation = testFederation(5);
      const { genesis } = federation;
      const { db, store } = fixture;
      const chain = await fixture.open(genesis, every100);
      const { assets, owners } = await securitiesHistory(chain, federation, 230);
      await chain.idle();
      const expected = readers(chain, assets, owners);
      const [newest, older] = await store.ledgerSnapshots();

      await db.pool.query('UPDATE ledger_snapshot_chunks SET bytes = overlay(bytes placing $1 from 100) WHERE height = 200 AND position = 0', [Buffer.of(0xff)]);
      const damaged = await fixture.open(genesis, every100);
      const bytesRefused = `its ${newest!.size} bytes do not hash to its digest ${toHexKey(newest!.digest)}: the row is damaged`;
      expect(damaged.started).to.deep.equal({ snapshotHeight: 100, ignored: [{ height: 200, reason: bytesRefused }] });
      expect(readers(damaged, assets, owners)).to.deep.equal(expected);
      const verified = await fixture.open(genesis, every100, { replayFromGenesis: true });
      expect(verified.started.verified).to.deep.equal({ height: 200, agreed: true });

      // Another block's: a store restored to an older point, where a block above it was decided again.
      await db.pool.query('UPDATE ledger_snapshots SET block_hash = $1 WHERE height = 100', [Buffer.alloc(32, 7)]);
      const restored = await fixture.open(genesis, every100);
      expect(restored.started).to.deep.equal({
        ignored: [
          { height: 200, reason: bytesRefused },
          { height: 100, reason: `it is of block ${'07'.repeat(32)}, the store holds ${toHexKey(chain.hashAt(100)!)} at height 100: a store restored to an older point, or another chain's snapshot` },
        ],
      });
      expect(readers(restored, assets, owners)).to.deep.equal(expected);

      // Whole and hashing to its digest, but the ledger of another height than its row says.
      await db.pool.query('DELETE FROM ledger_snapshot_chunks WHERE height = 200');
      await db.pool.query('INSERT INTO ledger_snapshot_chunks (height, position, bytes) SELECT 200, position, bytes FROM ledger_snapshot_chunks WHERE height = 100');
      await db.pool.query('UPDATE ledger_snapshots SET digest = $1, size = $2 WHERE height = 200', [Buffer.from(older!.digest), older!.size]);
      const moved = await fixture.open(genesis, every100);
      expect(moved.started.ignored[0]).to.deep.equal({ height: 200, reason: 'its bytes are the ledger at block 100, not at the block its row names' });
      expect(readers(moved, assets, owners)).to.deep.equal(expected);
      const disagreed = await fixture.open(genesis, every100, { replayFromGenesis: true });
      expect(disagreed.started.verified).to.deep.equal({ height: 200, agreed: false });
      // One the replay disagrees with is deleted; a stop then writes the replayed ledger at the tip.
      expect((await store.ledgerSnapshots()).map((row) => row.height)).to.deep.equal([100]);
      await disagreed.snapshotAtTip();
      expect((await store.ledgerSnapshots()).map((row) => row.height)).to.deep.equal([230, 100]);
      const fromTip = await fixture.open(genesis, every100);
      expect(fromTip.started).to.deep.equal({ snapshotHeight: 230, ignored: [] });
      expect(readers(fromTip, assets, owners)).to.deep.equal(expected);
    });

    it('keeps the snapshots it had when a write fails half-way, takes none of a block the store does not hold, and fails no block when one cannot be written', async () => {
      const federation = testFederation(5);
      const { genesis } = federation;
      const { db, store } = fixture;
      const chain = await fixture.open(genesis, every100);
      const { next } = await securitiesHistory(chain, federation, 120);
      await chain.idle();
      const before = await allRows(db.pool);
      const frozen = freezeLedger(chain.ledger, { height: 120, blockHash: chain.tip.hash });
      async function* halfWritten() {
        yield encodeLedger(frozen).subarray(0, 1000);
        throw new Error('killed while writing');
      }
      const error = await store.saveLedgerSnapshot(frozen.point, halfWritten(), () => new Uint8Array(32), 2).then(() => null, (e: Error) => e.message);
      expect(error).to.equal('killed while writing');
      expect(await allRows(db.pool)).to.deep.equal(before);
      const reopened = await fixture.open(genesis, every100);
      expect(reopened.started).to.deep.equal({ snapshotHeight: 100, ignored: [] });

      const above = await store.saveLedgerSnapshot({ height: 121, blockHash: chain.tip.hash }, (async function* () {})(), () => new Uint8Array(32), 2).then(() => null, (e: Error) => e.message);
      expect(above).to.equal(`the store holds no block 121 of hash ${toHexKey(chain.tip.hash)} to take a ledger snapshot at`);
      expect(await allRows(db.pool)).to.deep.equal(before);

      // A snapshot that cannot be written fails no block: the block is final, stored and applied.
      const everyBlock = await fixture.open(genesis, { snapshotIntervalBlocks: 1 });
      await db.pool.query('ALTER TABLE ledger_snapshot_chunks RENAME TO chunks_away');
      try {
        await appendFinalBlock(everyBlock, federation, [next(testWallet())]);
        await everyBlock.idle();
      } finally {
        await db.pool.query('ALTER TABLE chunks_away RENAME TO ledger_snapshot_chunks');
      }
      expect([everyBlock.tip.height, await store.tipHeight()]).to.deep.equal([121, 121]);
      expect((await store.ledgerSnapshots()).map((row) => row.height)).to.deep.equal([100]);
    });
  });

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
