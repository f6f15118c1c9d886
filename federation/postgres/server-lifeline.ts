import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { startTimeOf } from './stale-server.ts';

/** How long the sessions of a server whose starter is gone get to end before it is shut down fast. */
export const LIFELINE_SMART_SHUTDOWN_S = 30;

/**
 * A server started in a session of its own gets no signal from the terminal, and none when the
 * process that started it dies: killed with SIGKILL, it would leave its server running, holding
 * the port and the cluster, until the next start took it over. The lifeline is a shell that waits
 * on its standard input, a pipe from the starting process, which the kernel closes however that
 * process ends. It then asks the server for a smart shutdown (SIGTERM: no new connections, exit once
 * the last session has ended), so that clients which stop because their parent is gone too (the
 * members of a local network) close their own connections first; sessions still open after
 * LIFELINE_SMART_SHUTDOWN_S seconds (a client paused with SIGSTOP) are ended by a fast shutdown.
 * It is its own session as well, out of the terminal's reach, and is cut when the server exits,
 * so that it never signals a process that reused the server's PID. Once the server it stopped has
 * exited, it removes the server's socket folder, which the server leaves empty: the starter that
 * would have removed it is gone, and the folder would stay in /tmp for good.
 */
const SCRIPT = [
  'pid=$1 folder=$2 started=$3',
  // The server still runs: the process of its PID is the one that started at its start time (where
  // /proc tells), so a process that took over the PID once the server exited is never signalled.
  'running() { if [ -z "$started" ]; then kill -0 "$pid" 2>/dev/null; return; fi; stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1; set -- ${stat##*\\) }; [ "${20}" = "$started" ]; }',
  // Waits up to LIFELINE_SMART_SHUTDOWN_S for the server to exit.
  `wait_for_exit() { waited=0; while running && [ "$waited" -lt ${LIFELINE_SMART_SHUTDOWN_S} ]; do sleep 1; waited=$((waited + 1)); done; }`,
  'read -r _',
  'running || exit 0',
  'kill -TERM "$pid" 2>/dev/null || exit 0',
  'wait_for_exit',
  'running && kill -INT "$pid" 2>/dev/null',
  'wait_for_exit',
  // rmdir leaves a folder that is not empty.
  '[ -z "$folder" ] || rmdir "$folder" 2>/dev/null',
  'exit 0',
].join('\n');

export interface Lifeline {
  pid: number;
  /** Ends the lifeline without signalling the server: its server is stopped or gone. */
  cut(): void;
}

/**
 * Starts the lifeline of the server `postmasterPid`, whose socket is in `socketFolder` if it has
 * one; it holds neither this process's event loop nor its terminal. `serverStartTime` (read from
 * /proc when not given; empty where there is none) tells the server from a later process given its PID.
 */
export async function startLifeline(postmasterPid: number, socketFolder = '', serverStartTime = startTimeOf(postmasterPid) ?? ''): Promise<Lifeline> {
  const watcher = spawn('/bin/sh', ['-c', SCRIPT, 'strongbox-postgres-lifeline', String(postmasterPid), socketFolder, serverStartTime], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  await once(watcher, 'spawn');
  watcher.unref();
  (watcher.stdin as Socket).unref();
  return {
    pid: watcher.pid!,
    cut() {
      if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
    },
  };
}
