import { join } from 'node:path';
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
