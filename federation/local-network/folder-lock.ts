import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../sidechain/errors.ts';
import { livingHolder, takePidLock, type PidLock } from '../pid-lock.ts';

export interface FolderLock {
  /** Writes this process's pid, once the folder exists (after --fresh has emptied it). */
  hold(): void;
  /** Says that the network is stopping, so that a start meanwhile is told to wait, not to use it. */
  markStopping(): void;
  /** Removes the pid file, if it is still this process's. */
  release(): void;
}

/**
 * One running local network per folder: the process that runs it keeps its pid in `up.pid`, and
 * a second start (`up`, or `up --fresh`, which would delete the folder under the running one) is
 * refused while that process lives. A file left by a process that died is ignored.
 */
export function lockNetworkFolder(dataDir: string): FolderLock {
  const file = join(dataDir, 'up.pid');
  // Written by the holder alone, with its pid: one left by a process that died names no living holder.
  const stoppingFile = join(dataDir, 'up.stopping');
  const refusal = (holder: number) =>
    livingHolder(stoppingFile) === holder
      ? new ConfigError('--data-dir', `the local network in ${dataDir} is stopping (process ${holder}): start it again once that process has exited`)
      : new ConfigError('--data-dir', `a local network already runs from ${dataDir} (process ${holder}): use it, stop it with Ctrl-C where it runs, or give another folder with --data-dir or STRONGBOX_HOME`);
  const holder = livingHolder(file);
  if (holder !== undefined) throw refusal(holder);
  let lock: PidLock | undefined;
  return {
    hold: () => {
      lock = takePidLock(file, refusal);
      rmSync(stoppingFile, { force: true });
    },
    markStopping: () => {
      if (lock === undefined) return;
      try {
        writeFileSync(stoppingFile, `${process.pid}\n`, { mode: 0o644 });
      } catch (error) {
        // The folder was deleted under the running network: nothing to mark, and the stop of its
        // processes, which comes next, must not be given up for it.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
    release: () => {
      if (lock === undefined) return;
      rmSync(stoppingFile, { force: true });
      lock.release();
    },
  };
}
