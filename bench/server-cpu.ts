import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statTimes } from './proc-stat.ts';

/**
 * CPU milliseconds a PostgreSQL server has used so far, from /proc (Linux): the postmaster, its
 * live processes (a backend per connection, the WAL writer, the checkpointer, autovacuum, I/O
 * workers) and those that have exited, which the postmaster has waited for. The server's work for
 * its members runs in these processes, not in the members', so no member's own CPU figure holds it.
 * Null where /proc or the server's lock file is not there.
 */
export function postgresServerCpuMs(clusterDir: string): number | null {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
  const server = statTimes(`/proc/${postmaster}/stat`);
  if (!server) return null;
  let total = server.ownMs + server.reapedMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = statTimes(`/proc/${entry}/stat`);
    if (child?.parent === postmaster) total += child.ownMs;
  }
  return total;
}
