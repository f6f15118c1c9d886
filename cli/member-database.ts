import pg from 'pg';
import { ConfigError } from '../sidechain/errors.ts';
import { loadMemberConfig } from '../federation/config.ts';
import { migratedChainStore } from '../federation/postgres/member-database.ts';

/**
 * Runs `work` on the member's own database (config `databaseUrl` or DATABASE_URL). Operator
 * commands reach it directly, so no API call can do what they do.
 */
export async function withMemberDatabase<T>(configFile: string | undefined, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const config = loadMemberConfig(configFile);
  if (config.databaseUrl === undefined) {
    throw new ConfigError('databaseUrl', "this command opens the member's database: set databaseUrl in the member config or DATABASE_URL");
  }
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 2 });
  try {
    await migratedChainStore(pool);
    return await work(pool);
  } finally {
    await pool.end();
  }
}
