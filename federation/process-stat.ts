import { readFileSync } from 'node:fs';

/** A process as /proc/<pid>/stat tells it (Linux). */
export interface ProcessStat {
  /** R running, S sleeping, Z a zombie (exited, not yet waited for by its parent), and so on. */
  state: string;
  parent: number;
  /** When it started (field 22, clock ticks since boot): a later process given the same PID has another. */
  startTime: string;
}

/** Process `pid` as /proc tells it; undefined off Linux or once the process is gone. */
export function processStat(pid: number): ProcessStat | undefined {
  const fields = statFields(`/proc/${pid}/stat`);
  return fields && { state: fields[0]!, parent: Number.parseInt(fields[1] ?? '', 10), startTime: fields[19]! };
}

/**
 * The fields of a /proc stat file (a process's, or a thread's under /proc/<pid>/task) from the
 * third, the state, on: index 0 is field 3. Undefined where there is no such file.
 */
export function statFields(file: string): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses of its own:
  // the fields after it are counted from its last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
