import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** How long a connection may take to close once asked; one that takes longer is left to the server. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Ends `pool` and resolves once its connections have closed. `pool.end()` resolves as soon as it
 * has asked them to close: a server stopped, or a database dropped, right after would end one
 * still open, and the pool would raise that as an error nobody is listening for any more.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    // The pool says 'remove' once a connection it ended has closed.
    pool.on('remove', () => {
      open -= 1;
      if (open === 0) resolve();
    });
  });
  await pool.end();
  await Promise.race([closed, sleep(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
}
