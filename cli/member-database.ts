import pg from 'pg';
import { loadMemberConfig } from '../federation/config.ts';
import { migratedChainStore, openOperatorDatabase } from '../federation/postgres/member-database.ts';

/**
 * Runs `work` on the member's own database (config `databaseUrl` or DATABASE_URL, else the
 * member's embedded server). Operator commands reach it directly, so no API call can do what
 * they do.
 */
export async function withMemberDatabase<T>(configFile: string | undefined, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const database = await openOperatorDatabase(loadMemberConfig(configFile));
  try {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    // pool.end() resolves before its connections have closed, and the embedded server started for
    // the command is stopped right after: the server ending such a connection is no error (and a
    // connection it ends while in use fails its query, with the reason, all the same).
    pool.on('error', () => undefined);
    try {
      await migratedChainStore(pool);
      return await work(pool);
    } finally {
      await pool.end();
    }
  } finally {
    await database.stop();
  }
}
