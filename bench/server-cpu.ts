import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The kernel reports process times in USER_HZ ticks, which Linux fixes at 100 a second for /proc.
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  parent: number;
  /** Its own user and system time. */
  ownMs: number;
  /** The user and system time of its children that have exited and been waited for. */
  reapedMs: number;
}

function processTimes(pid: number): ProcessTimes | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // exited meanwhile
  }
  // The command name in parentheses may hold spaces: the numbered fields start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return { parent: fields[1]!, ownMs: ms(fields[11]! + fields[12]!), reapedMs: ms(fields[13]! + fields[14]!) };
}

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
  const server = processTimes(postmaster);
  if (!server) return null;
  let total = server.ownMs + server.reapedMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = processTimes(Number(entry));
    if (child?.parent === postmaster) total += child.ownMs;
  }
  return total;
}
