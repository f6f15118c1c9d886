import { statFields } from '../federation/process-stat.ts';

// The kernel reports process and thread times in USER_HZ ticks, which Linux fixes at 100 a second for /proc.
const TICKS_PER_SECOND = 100;

/** A process's or thread's CPU times, as its /proc stat file gives them. */
export interface StatTimes {
  parent: number;
  /** Its own user and system time, in milliseconds. */
  ownMs: number;
  /** The user and system time of its children that have exited and been waited for, in milliseconds. */
  reapedMs: number;
}

/** The times in a /proc stat file (Linux); null where it is not there (the process exited, or no /proc). */
export function statTimes(statFile: string): StatTimes | null {
  const fields = statFields(statFile)?.map(Number);
  if (!fields) return null;
  const ms = (ticks: number) => (ticks * 1000) / TICKS_PER_SECOND;
  return { parent: fields[1]!, ownMs: ms(fields[11]! + fields[12]!), reapedMs: ms(fields[13]! + fields[14]!) };
}
