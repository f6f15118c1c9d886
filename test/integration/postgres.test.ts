import { expect } from 'chai';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgresServer } from '../../federation/postgres/embedded-server.ts';
import { MigrationError, runMigrations, type Migration } from '../../sidechain/store/migrate.ts';
import { freshDatabase } from '../helpers/postgres.ts';

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

  it('keeps its data across a server restart', async () => {
    const root = join(tmpdir(), `strongbox-pg-restart-${process.pid}`);
    mkdirSync(root, { recursive: true, mode: 0o755 });
    try {
      const first = await startPostgresServer({ dataDir: join(root, 'cluster') });
      await first.createDatabase('member_1');
      const pool = new pg.Pool({ connectionString: first.connectionString('member_1') });
      await runMigrations(pool, migrations);
      await pool.query("INSERT INTO accounts VALUES ('alice', 21000000)");
      await pool.end();
      await first.stop();

      const second = await startPostgresServer({ dataDir: join(root, 'cluster') });
      try {
        const again = new pg.Pool({ connectionString: second.connectionString('member_1') });
        const rows = await again.query('SELECT id, balance FROM accounts');
        expect(rows.rows).to.deep.equal([{ id: 'alice', balance: '21000000' }]);
        expect(await runMigrations(again, migrations)).to.deep.equal([]);
        await again.end();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
