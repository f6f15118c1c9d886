import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StrongboxError } from '../sidechain/errors.ts';
import { isAlive } from './postgres/stale-server.ts';

/** What one process at a time may use (a wallet) is in use by another, whose pid the message names. */
export class InUseError extends StrongboxError {
  constructor(message: string) {
    super('in-use', message);
  }
}

export interface PidLock {
  /** Removes the file, if it still names this process. */
  release(): void;
}

/** The files this process holds: a second taker in this process (commands run in one process) is refused as another's would be. */
const heldHere = new Set<string>();

function namedPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The living process that holds `file`, if any. A file left by a process that died (killed, or
 * before the machine restarted) names none, nor one naming this process that this process does
 * not hold (its pid was another's before).
 */
export function livingHolder(file: string): number | undefined {
  const path = resolve(file);
  const pid = namedPid(path);
  if (pid === undefined) return undefined;
  if (pid === process.pid) return heldHere.has(path) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

/**
 * Takes `file` for this process, or throws `refusal(pid)` of the living process that holds it.
 * The file appears whole, pid included, in one step (a hard link of a file already written), and
 * only where there was none, so of two processes taking it at once one only gets it. One left by
 * a process that died is moved aside under a name of this process's before it is taken, so that
 * two processes taking it over at once cannot both succeed: a living holder's file moved aside by
 * mistake is put back.
 */
export function takePidLock(file: string, refusal: (holder: number) => Error): PidLock {
  const path = resolve(file);
  const written = `${path}.${process.pid}`;
  writeFileSync(written, `${process.pid}\n`, { mode: 0o644 });
  try {
    for (;;) {
      try {
        linkSync(written, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = livingHolder(path);
      if (holder !== undefined) throw refusal(holder);
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = livingHolder(aside);
      if (moved !== undefined) {
        // Another process took the file over between our look and the move: it is its again.
        try {
          linkSync(aside, path);
        } finally {
          rmSync(aside, { force: true });
        }
        throw refusal(moved);
      }
      rmSync(aside, { force: true });
    }
  } finally {
    rmSync(written, { force: true });
  }
  heldHere.add(path);
  return {
    release: () => {
      if (!heldHere.delete(path)) return;
      if (namedPid(path) === process.pid) rmSync(path, { force: true });
    },
  };
}
