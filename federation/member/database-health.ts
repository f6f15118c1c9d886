import type pg from 'pg';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';

/** Since when this member cannot reach its database, and why; null while it can. */
export interface DatabaseError {
  sinceMs: number;
  reason: string;
}

/** How long a status waits for the database to answer before it says the database does not. */
export const DATABASE_PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether this member reaches its database, asked when its status is asked. A member whose
 * database is away keeps answering its status from memory, with the height it last stored, so
 * without this an operator would read a member stuck behind the others as a healthy one: an idle
 * member touches its database only when work comes, and would not have noticed either.
 */
export class DatabaseHealth {
  private current: DatabaseError | null = null;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly timeoutMs = DATABASE_PROBE_TIMEOUT_MS,
  ) {}

  async check(nowMs = Date.now()): Promise<DatabaseError | null> {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), this.timeoutMs)));
    try {
      const answer = await Promise.race([this.pool.query('SELECT 1').then(() => 'answered' as const), silent]);
      if (answer === 'answered') this.current = null;
      else this.failed(`no answer within ${this.timeoutMs / 1000} s`, nowMs);
    } catch (error) {
      // A statement that fails with the database reachable is a bug, reported as such.
      if (!isDatabaseUnavailable(error)) throw error;
      this.failed((error as Error).message, nowMs);
    } finally {
      clearTimeout(timer);
    }
    return this.current;
  }

  private failed(reason: string, nowMs: number): void {
    this.current = { sinceMs: this.current?.sinceMs ?? nowMs, reason };
  }
}
