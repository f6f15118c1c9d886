import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';

/**
 * SQLSTATEs of a server ending its sessions: an administrator's command or a shutdown (57P01), a
 * crash restart (57P02), a server that cannot take connections now (57P03).
 */
const SERVER_ENDING_SESSIONS = /^57P0[123]$/;

/**
 * Logs each error of an idle connection of `pool` as one line, its SQLSTATE or socket code and
 * its message. The pool drops that connection and opens another when one is next needed, so a
 * server ending its sessions is a warning: a network stopping meets it (a terminal's Ctrl-C
 * reaches the embedded Postgres as well, which ends the members' connections before they stop).
 * Once the pool is ended its connections are being closed anyway, and their errors are only
 * debug lines: they would come after the member's last line, `member stopped`.
 * The error object is not logged: node-postgres hangs the client, with all its state, on it.
 */
export function logPoolErrors(pool: pg.Pool, log: Logger): void {
  pool.on('error', (error) => {
    const code = (error as { code?: string }).code;
    const fields = { code, reason: error.message };
    if (pool.ending) log.debug(fields, 'postgres pool error while the pool closes');
    else if (SERVER_ENDING_SESSIONS.test(code ?? '')) log.warn(fields, 'postgres ended an idle connection of the pool; another is opened when needed');
    else log.error(fields, 'postgres pool error');
  });
}
