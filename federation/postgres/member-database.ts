import { join } from 'node:path';
import type pg from 'pg';
import { ConfigError, StrongboxError } from '../../sidechain/errors.ts';
import { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { MemberConfig } from '../config.ts';
import { startPostgresServer } from './embedded-server.ts';

export interface MemberDatabase {
  url: string;
  /** Stops the embedded server this call started; nothing to stop for an external database. */
  stop(): Promise<void>;
}

/**
 * Where a member keeps its state: the server DATABASE_URL names, or else an embedded server of
 * its own under `<dataDir>/postgres` with the database `member_<index>`, so that a single member
 * started by hand needs no Postgres installation either.
 */
export async function openMemberDatabase(config: Pick<MemberConfig, 'databaseUrl' | 'dataDir' | 'memberIndex'>): Promise<MemberDatabase> {
  if (config.databaseUrl !== undefined) return { url: config.databaseUrl, stop: async () => undefined };
  const server = await startPostgresServer({ dataDir: join(config.dataDir, 'postgres', 'cluster') });
  const database = `member_${config.memberIndex}`;
  try {
    await server.createDatabase(database);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.connectionString(database), stop: () => server.stop() };
}

/**
 * The member's store, its schema brought up to date: the first use of its database, so a server
 * that cannot be reached or logged in to is said in terms of the config field that names it.
 */
export async function migratedChainStore(pool: pg.Pool): Promise<ChainStore> {
  const store = new ChainStore(pool);
  await store.migrate().catch((error: unknown) => {
    if (error instanceof StrongboxError) throw error;
    throw new ConfigError('databaseUrl', `cannot reach the member's database (${(error as Error).message})`);
  });
  return store;
}
