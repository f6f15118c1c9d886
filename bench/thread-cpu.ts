import { statTimes } from './proc-stat.ts';

/**
 * CPU milliseconds this process's main thread has used, from /proc (Linux), in 10 ms steps; null
 * where /proc is not there. The main thread is where a member validates and executes, so its CPU
 * per transfer shows what a change saves however busy the machine's other cores are.
 */
export function mainThreadCpuMs(): number | null {
  return statTimes(`/proc/self/task/${process.pid}/stat`)?.ownMs ?? null;
}

/** CPU milliseconds of every thread of this process (the thread pool's signature checks included). */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
