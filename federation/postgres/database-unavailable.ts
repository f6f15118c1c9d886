import pg from 'pg';

/**
 * SQLSTATEs with which Postgres turns a member away or ends its session while the database is
 * out of reach: a terminated backend (57P01), a crash restart (57P02), a server starting or
 * shutting down (57P03), a full server (53300), a database not accepting connections (55000) and
 * the connection-exception class 08. 55000 also names ordinary statement errors, which is why
 * only session-ending (FATAL) errors are considered.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|55000)$/;

/** Socket errors of a connection to a server that is down, restarting or unreachable. */
const UNREACHABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** node-postgres reports a lost or never-made connection with these messages and no code. */
const LOST_CONNECTION_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]);

/**
 * Whether `error` says that the member's database cannot be reached at the moment, so the same
 * request may succeed once it is back (503), as opposed to a statement that failed, which is a bug
 * and stays a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return (error.severity === 'FATAL' || error.severity === 'PANIC') && UNAVAILABLE_SQLSTATE.test(error.code ?? '');
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  // A server reached over its Unix-domain socket removes the socket as it stops: connecting then
  // finds no such file, as a stopped server on TCP refuses.
  if (code === 'ENOENT' && syscall === 'connect') return true;
  if (code !== undefined) return UNREACHABLE_SOCKET.has(code);
  return LOST_CONNECTION_MESSAGES.has(error.message);
}
