import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { withPooledClient } from './pooled-client.ts';
import { StrongboxError } from '../errors.ts';

export class MigrationError extends StrongboxError {
  constructor(message: string) {
    super('migration', message);
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Any fixed number works; it only has to be the same for every runner of this schema.
const MIGRATION_LOCK_ID = 0x5342_5831;

/** Reads `NNN_name.sql` files, ordered by version; gaps and duplicates are refused. */
export function loadMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new MigrationError(`migration file ${file} is not named NNN_name.sql`);
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new MigrationError(`migrations must be numbered 1, 2, 3…; found ${migration.version} at position ${index + 1}`);
  });
  return migrations;
}

/** The newest schema version applied to the database: 0 for one no migration has touched. */
export async function appliedSchemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!rows[0]!.present) return 0;
  const newest = await pool.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return newest.rows[0]!.version ?? 0;
}

/**
 * Brings the database to the newest version. Each migration runs in its own transaction together
 * with its bookkeeping row, so a failure leaves the previous version intact; an advisory lock
 * makes concurrent runners (two members starting on one database) apply each migration once.
 * A stop asked meanwhile is taken between migrations, rejecting with the signal's reason.
 * Returns the versions applied by this call.
 */
export async function runMigrations(pool: pg.Pool, migrations: Migration[], stopRequested?: AbortSignal): Promise<number[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  return withPooledClient(pool, async (client) => {
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const applied = new Map((await client.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations')).rows.map((row) => [row.version, row.name]));
      const newest = Math.max(0, ...applied.keys());
      const known = Math.max(0, ...ordered.map((migration) => migration.version));
      if (newest > known) {
        throw new MigrationError(`the database is at schema version ${newest}, newer than this software knows (${known}); upgrade Strongbox`);
      }
      // A version applied under another name means the database was built by different software.
      for (const migration of ordered) {
        const name = applied.get(migration.version);
        if (name !== undefined && name !== migration.name) {
          throw new MigrationError(`schema version ${migration.version} in the database is ${name}, but this software's is ${migration.name}; refusing to mix schemas`);
        }
      }
      const done: number[] = [];
      for (const migration of ordered) {
        if (applied.has(migration.version)) continue;
        stopRequested?.throwIfAborted();
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new MigrationError(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`);
        }
        done.push(migration.version);
      }
      return done;
    } finally {
      // Closing the session would release the lock too; unlock explicitly because the pool keeps it.
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    }
  });
}
