import pg from 'pg';
import type { PostgresServer } from '../../federation/postgres/embedded-server.ts';
import type { TestNetwork } from './local-network.ts';

/** Runs one statement as the superuser on the server's maintenance database. */
async function asSuperuser(server: PostgresServer, sql: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: server.connectionString('postgres') });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/**
 * Runs `during` while `database` is out of its users' reach, as if its own Postgres were down,
 * while the server keeps serving its other databases: the database refuses new connections
 * (superusers too) and the open ones are ended. Connections are let in again however `during`
 * ends, or whatever runs next would inherit the outage.
 */
export async function withDatabaseDown<T>(server: PostgresServer, database: string, during: () => Promise<T>): Promise<T> {
  await asSuperuser(server, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
  try {
    await asSuperuser(server, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    return await during();
  } finally {
    await asSuperuser(server, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
  }
}

/** `during` while member `index`'s database is down and the other members keep theirs. */
export function withMemberDatabaseDown<T>(net: TestNetwork, index: number, during: () => Promise<T>): Promise<T> {
  return withDatabaseDown(net.network.postgres, `member_${index}`, during);
}
