import pg from 'pg';
import type { TestNetwork } from './local-network.ts';

/** Runs one statement as the superuser on the server's maintenance database. */
async function asSuperuser(net: TestNetwork, sql: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: net.network.postgres.connectionString('postgres') });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/**
 * Runs `during` while member `index`'s database is out of its reach, as if that member's own
 * Postgres were down, while the shared server keeps serving the other members: the database
 * refuses new connections (superusers too) and the member's open ones are ended. Connections are
 * let in again however `during` ends, or the next scenario would inherit the outage.
 */
export async function withMemberDatabaseDown<T>(net: TestNetwork, index: number, during: () => Promise<T>): Promise<T> {
  const database = `member_${index}`;
  await asSuperuser(net, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
  try {
    await asSuperuser(net, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    return await during();
  } finally {
    await asSuperuser(net, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
  }
}
