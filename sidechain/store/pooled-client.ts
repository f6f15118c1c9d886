import type pg from 'pg';

/**
 * Runs `work` on a client of its own taken from the pool. While a client is out of the pool
 * nobody listens to its 'error' event, and a connection the server drops between two statements
 * (a restart, an administrator's terminate) emits one: unheard, it would end the whole member
 * process. Here it is heard, the statement in flight fails instead, and a client that failed is
 * handed back as broken so the pool opens a fresh connection next time.
 */
export async function withPooledClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    failure ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(failure);
  }
}

/**
 * `work` inside one database transaction: committed when it resolves, rolled back when it throws.
 * On a lost connection the rollback fails too (the server has already discarded the
 * transaction), and the first error is the one reported.
 */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withPooledClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}
