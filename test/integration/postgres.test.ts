import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgresServer } from '../../federation/postgres/embedded-server.ts';
import { loadMigrations, MigrationError, runMigrations, type Migration } from '../../sidechain/store/migrate.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { endPool } from '../../federation/postgres/end-pool.ts';

const migrations: Migration[] = [
  { version: 1, name: 'accounts', sql: 'CREATE TABLE accounts (id text PRIMARY KEY, balance numeric NOT NULL)' },
  { version: 2, name: 'history', sql: 'CREATE TABLE history (id bigserial PRIMARY KEY, account text NOT NULL REFERENCES accounts(id))' },
];

async function tables(pool: pg.Pool): Promise<string[]> {
  const result = await pool.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  return result.rows.map((row) => row.tablename);
}

describe('Postgres (real embedded server) and migrations', function () {
  this.timeout(60_000);

  it('migrates an empty database and a second run applies nothing', async () => {
    const db = await freshDatabase('migrate');
    try {
      expect(await runMigrations(db.pool, migrations)).to.deep.equal([1, 2]);
      expect(await tables(db.pool)).to.deep.equal(['accounts', 'history', 'schema_migrations']);
      expect(await runMigrations(db.pool, migrations)).to.deep.equal([]);
    } finally {
      await db.drop();
    }
  });

  it('rolls back a failing migration and keeps the previous version', async () => {
    const db = await freshDatabase('migrate');
    try {
      const broken = [...migrations, { version: 3, name: 'broken', sql: 'CREATE TABLE half (x int); SELECT no_such_function()' }];
      const error = await runMigrations(db.pool, broken).then(() => null, (e: unknown) => e);
      expect(error).to.be.instanceOf(MigrationError);
      expect((error as Error).message).to.match(/^migration 3_broken failed: function no_such_function\(\) does not exist/);
      expect(await tables(db.pool)).to.not.include('half');
      const versions = await db.pool.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows.map((row) => row.version)).to.deep.equal([1, 2]);
    } finally {
      await db.drop();
    }
  });

  it('applies each migration once when two runners race', async () => {
    const db = await freshDatabase('migrate');
    const other = new pg.Pool({ connectionString: db.url });
    try {
      const [first, second] = await Promise.all([runMigrations(db.pool, migrations), runMigrations(other, migrations)]);
      expect([...first, ...second].sort()).to.deep.equal([1, 2]);
    } finally {
      await other.end();
      await db.drop();
    }
  });

  it('refuses a database newer than the software', async () => {
    const db = await freshDatabase('migrate');
    try {
      await runMigrations(db.pool, migrations);
      const error = await runMigrations(db.pool, migrations.slice(0, 1)).then(() => null, (e: unknown) => e);
      expect((error as Error).message).to.equal('the database is at schema version 2, newer than this software knows (1); upgrade Strongbox');
    } finally {
      await db.drop();
    }
  });

  it('refuses a database whose version was applied under another name', async () => {
    const db = await freshDatabase('migrate');
    try {
      await runMigrations(db.pool, migrations);
      const renamed = [migrations[0]!, { ...migrations[1]!, name: 'ledger' }];
      const error = await runMigrations(db.pool, renamed).then(() => null, (e: unknown) => e);
      expect((error as Error).message).to.equal("schema version 2 in the database is history, but this software's is ledger; refusing to mix schemas");
    } finally {
      await db.drop();
    }
  });

  it('applies migrations given out of order in version order', async () => {
    const db = await freshDatabase('migrate');
    try {
      expect(await runMigrations(db.pool, [...migrations].reverse())).to.deep.equal([1, 2]);
    } finally {
      await db.drop();
    }
  });

  it('keeps its data across a server restart', async () => {
    const root = join(tmpdir(), `strongbox-pg-restart-${process.pid}`);
    mkdirSync(root, { recursive: true, mode: 0o755 });
    try {
      const first = await startPostgresServer({ dataDir: join(root, 'cluster') });
      await first.createDatabase('member_1');
      const pool = new pg.Pool({ connectionString: first.connectionString('member_1') });
      await runMigrations(pool, migrations);
      await pool.query("INSERT INTO accounts VALUES ('alice', 21000000)");
      await endPool(pool);
      await first.stop();

      const second = await startPostgresServer({ dataDir: join(root, 'cluster') });
      try {
        const again = new pg.Pool({ connectionString: second.connectionString('member_1') });
        const rows = await again.query('SELECT id, balance FROM accounts');
        expect(rows.rows).to.deep.equal([{ id: 'alice', balance: '21000000' }]);
        expect(await runMigrations(again, migrations)).to.deep.equal([]);
        await endPool(again);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('migration files', () => {
  function folderWith(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'strongbox-migrations-'));
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
    return dir;
  }
  const cases: Array<[string, Record<string, string>, string]> = [
    ['a file not named NNN_name.sql', { '001_a.sql': '', 'two.sql': '' }, 'migration file two.sql is not named NNN_name.sql'],
    ['a gap in the numbering', { '001_a.sql': '', '003_c.sql': '' }, 'migrations must be numbered 1, 2, 3…; found 3 at position 2'],
    ['two files with one number', { '001_a.sql': '', '001_b.sql': '' }, 'migrations must be numbered 1, 2, 3…; found 1 at position 2'],
  ];
  for (const [what, files, message] of cases) {
    it(`refuses ${what}`, () => {
      const dir = folderWith(files);
      try {
        expect(() => loadMigrations(dir)).to.throw(MigrationError, message);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('reads NNN_name.sql files in version order and ignores other files', () => {
    const dir = folderWith({ '002_history.sql': 'SELECT 2', '001_accounts.sql': 'SELECT 1', 'README.md': '# notes' });
    try {
      expect(loadMigrations(dir)).to.deep.equal([
        { version: 1, name: 'accounts', sql: 'SELECT 1' },
        { version: 2, name: 'history', sql: 'SELECT 2' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
