import pg from 'pg';
import { loadMemberConfig } from '../federation/config.ts';
import { openOperatorDatabase, operatorChainStore } from '../federation/postgres/member-database.ts';
import { endPool } from '../federation/postgres/end-pool.ts';
import { readGenesisFile } from '../federation/genesis-file.ts';
import { assertOperatorDatabaseOfThisMember } from '../federation/member/member-identity.ts';

/**
 * Runs `work` on the member's own database (config `databaseUrl` or DATABASE_URL, else the
 * member's embedded server). Operator commands reach it directly, so no API call can do what
 * they do; a database another member has started on is refused, as the member itself refuses it.
 */
export async function withMemberDatabase<T>(configFile: string | undefined, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const config = loadMemberConfig(configFile);
  const database = await openOperatorDatabase(config);
  try {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    // The server ending an idle connection (a restart) is no failure of the command: its next
    // query connects again, or fails with the reason, all the same.
    pool.on('error', () => undefined);
    try {
      await operatorChainStore(pool);
      await assertOperatorDatabaseOfThisMember(pool, () => readGenesisFile(config.genesisFile), config.memberIndex);
      return await work(pool);
    } finally {
      // Closed before the embedded server started for the command stops.
      await endPool(pool);
    }
  } finally {
    await database.stop();
  }
}
