import { statTimes } from './proc-stat.ts';

/**
 * CPU milliseconds a process's main thread (this one's by default) has used, from /proc (Linux), in
 * 10 ms steps; null where /proc is not there. The main thread is where a member validates and
 * executes, so its CPU per transfer shows what a change saves however busy the other cores are.
 */
export function mainThreadCpuMs(pid = process.pid): number | null {
  return statTimes(`/proc/${pid}/task/${pid}/stat`)?.ownMs ?? null;
}

/**
 * CPU milliseconds a process has spent outside its main thread (V8's platform threads: parallel and
 * concurrent collection, the optimizing compiler; libuv's pool), from /proc (Linux); null where it
 * is not there.
 */
export function offMainThreadCpuMs(pid: number): number | null {
  const all = statTimes(`/proc/${pid}/stat`)?.ownMs;
  const main = mainThreadCpuMs(pid);
  return all === undefined || main === null ? null : all - main;
}

/** CPU milliseconds of every thread of this process (the thread pool's signature checks included). */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
