import pg from 'pg';
import { ConfigError, StrongboxError } from '../sidechain/errors.ts';
import { ChainStore } from '../sidechain/store/chain-store.ts';
import { loadMemberConfig } from '../federation/config.ts';

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
    await new ChainStore(pool).migrate().catch((error: unknown) => {
      if (error instanceof StrongboxError) throw error;
      throw new ConfigError('databaseUrl', `cannot reach the member's database (${(error as Error).message})`);
    });
    return await work(pool);
  } finally {
    await pool.end();
  }
}
