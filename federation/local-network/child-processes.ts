import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface ManagedChild {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal) once the child has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts a Node.js child with an IPC channel and its output appended to a log file. The channel is
 * the child's lifeline: a child whose parent dies (even by SIGKILL) sees the channel close and
 * exits, so a local network never leaves orphan members behind.
 */
export function spawnNodeChild(name: string, args: string[], options: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): ManagedChild {
  const log = openSync(options.logFile, 'a');
  // V8 lets the old space grow to four times what was live after a full collection before the
  // next: under a burst of large blocks that garbage was most of a member's peak (docs/DECISIONS.md).
  const child = spawn(process.execPath, ['--heap-growing-percent=50', ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  return { name, process: child, exited };
}

export interface StopOptions {
  /** How long each child has after SIGTERM before SIGKILL. */
  graceMs: number;
  /**
   * Told every `noticeEveryMs` which children have not exited yet, and of each one killed, so that
   * a stop that takes a while (a member writing a snapshot of its ledger) does not look hung.
   */
  onProgress?: (line: string) => void;
  noticeEveryMs?: number;
}

/** SIGTERM, then SIGKILL for whoever has not exited within the grace period. */
export async function stopChildren(children: ManagedChild[], { graceMs, onProgress = () => undefined, noticeEveryMs = 5_000 }: StopOptions): Promise<void> {
  const running = children.filter((child) => child.process.exitCode === null && child.process.signalCode === null);
  const started = Date.now();
  const stopping = new Set(running);
  const notices = setInterval(() => {
    const names = [...stopping].map((child) => child.name).join(', ');
    onProgress(`still stopping after ${Math.round((Date.now() - started) / 1000)} s: ${names} (SIGKILL at ${graceMs / 1000} s)`);
  }, noticeEveryMs);
  for (const child of running) child.process.kill('SIGTERM');
  await Promise.all(
    running.map(async (child) => {
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          onProgress(`${child.name} did not exit within ${graceMs / 1000} s of SIGTERM: SIGKILL`);
          child.process.kill('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([child.exited.then(() => undefined), forced]);
      clearTimeout(timer);
      await child.exited;
      stopping.delete(child);
    }),
  );
  clearInterval(notices);
}

/** A child's tie to its parent, from stopWhenParentDies. */
export interface Lifeline {
  /**
   * Whether the parent has gone away. A parent killed closes its channel and its sockets at once,
   * and this process may read one of those sockets reset (its Bitcoin node, which `up` runs) before
   * the channel's close: two turns of the event loop read the channel first, for the second polls
   * for what is ready after the first.
   */
  lost(): Promise<boolean>;
  /**
   * For a child that stopped on its own (on SIGTERM): the channel is open and listened to, which
   * keeps the process alive, so it is let go and the process can exit.
   */
  release(): void;
}

/**
 * For a child: calls `stop` once its parent has gone away (its IPC channel closed), or at once if
 * it went before this was called (a parent killed while the child still loaded its modules).
 */
export function stopWhenParentDies(stop: () => void): Lifeline {
  // No channel at all: started by hand, not by a local network.
  if (!process.send) return { lost: async () => false, release: () => undefined };
  let gone = !process.connected;
  const parentGone = () => {
    gone = true;
    stop();
  };
  if (gone) stop();
  else process.once('disconnect', parentGone);
  return {
    lost: async () => {
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      return gone;
    },
    release: () => {
      process.off('disconnect', parentGone);
      if (process.connected) process.disconnect();
    },
  };
}
