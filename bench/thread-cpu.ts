import { readFileSync } from 'node:fs';

// The kernel reports thread times in USER_HZ ticks, which Linux fixes at 100 a second for /proc.
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds this process's main thread has used, from /proc (Linux), in 10 ms steps; null
 * where /proc is not there. The main thread is where a member validates and executes, so its CPU
 * per transfer shows what a change saves however busy the machine's other cores are.
 */
export function mainThreadCpuMs(): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name in parentheses may hold spaces: the numbered fields start after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU milliseconds of every thread of this process (the thread pool's signature checks included). */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
