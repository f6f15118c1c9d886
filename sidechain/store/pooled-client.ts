import type pg from 'pg';

/**
 * Runs `work` on a client of its own taken from the pool. While a client is out of the pool
 * nobody listens to its 'error' event, and a connection the server drops between two statements
 * (a restart, an administrator's terminate) emits one: unheard, it would end the whole member
 * process. Here it is heard, the statement in flight fails instead, and a client that failed is
 * handed back as broken so the pool opens a fresh connection next time.
 */
export async function withPooledClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  const client = await heardClient(pool, onError);
  try {
    // Ended as it was handed over: its own reason, rather than the "not queryable" of any statement.
    if (failure) throw failure;
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
 * A client of `pool` with `onError` listening from the moment the pool hands it over. The pool
 * stops listening to a client as it hands it over, and a promise would pass it on only after the
 * socket's data in hand is parsed: a session set up as the server shuts down can bring its
 * "ready" and the FATAL that ends it in one read (a busy process reads late), and that FATAL
 * would be an unheard 'error' event. The callback runs before the rest of that read is parsed.
 */
function heardClient(pool: pg.Pool, onError: (error: Error) => void): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    pool.connect((error, client) => {
      if (error || !client) return reject(error);
      client.on('error', onError);
      resolve(client);
    });
  });
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
