import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StrongboxError } from '../../sidechain/errors.ts';
import { processStat } from '../process-stat.ts';

export class PostgresServerError extends StrongboxError {
  constructor(reason: string) {
    super('postgres', `embedded Postgres: ${reason}`);
  }
}

/**
 * PostgreSQL runs as a separate process, so a Strongbox process killed with SIGKILL together with
 * the server's lifeline (server-lifeline.ts) leaves its server running (re-parented to init) and
 * holding the data directory's postmaster.pid. The next start must take such an orphan over, but
 * must neither kill a server that another live Strongbox process still uses nor an unrelated
 * process that happens to reuse a recorded PID. So the starting process records itself in
 * `<dataDir>.owner`, and a running postmaster is only stopped when it is really the PostgreSQL of
 * this data directory and its recorded owner is not its parent.
 */
export async function takeOverStaleServer(dataDir: string, timeoutMs: number): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  const command = commandLine(pid);
  if (command !== undefined && !(command.some((arg) => /postgres$/.test(arg)) && command.includes(dataDir))) return;
  const owner = recordedOwner(dataDir);
  if (owner !== undefined && parentOf(pid) === owner) {
    // The owner is a live process with its own work (another member, whose config this one's
    // names by mistake, or `strongbox up`): stopping it is the operator's call, so name it.
    const ownerCommand = oneLine(commandLine(owner)?.join(' ') ?? '');
    throw new PostgresServerError(
      `${dataDir} is in use by a server that process ${owner}${ownerCommand ? ` (${ownerCommand})` : ''} runs: a data folder serves one process at a time. ` +
        `If that process is another member, this config names its data folder (check dataDir); if it is a leftover of this one, stop it first`,
    );
  }
  await stopPostmaster(pid, timeoutMs);
}

/**
 * How a server shuts down. `fast` (SIGINT) ends the sessions, writes a shutdown checkpoint and
 * exits: the next start finds the cluster clean. `immediate` (SIGQUIT) ends the server's processes
 * at once, without the checkpoint: the next start would recover the cluster from its write-ahead
 * log as after a crash, so it is only for a cluster deleted right after.
 */
export type ShutdownMode = 'fast' | 'immediate';

const SHUTDOWN_SIGNALS = { fast: 'SIGINT', immediate: 'SIGQUIT' } as const;

/** Shuts the server down as `mode` says, then SIGKILL after the timeout. */
export async function stopPostmaster(pid: number, timeoutMs: number, mode: ShutdownMode = 'fast'): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, SHUTDOWN_SIGNALS[mode]);
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

export function recordOwner(dataDir: string): void {
  writeFileSync(`${dataDir}.owner`, `${process.pid}\n`, { mode: 0o644 });
}

/** The PID in postmaster.pid while a server runs on the data directory, else undefined. */
export function postmasterPid(dataDir: string): number | undefined {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function recordedOwner(dataDir: string): number | undefined {
  const file = `${dataDir}.owner`;
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) ? pid : undefined;
}

// /proc is Linux-only; elsewhere the checks that need it are skipped and the pid file is trusted.
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** A command line fit for a one-line error: whitespace runs collapsed, cut at 160 characters. */
function oneLine(command: string): string {
  const collapsed = command.replace(/\s+/g, ' ').trim();
  return collapsed.length > 160 ? `${collapsed.slice(0, 159)}…` : collapsed;
}

function parentOf(pid: number): number | undefined {
  return processStat(pid)?.parent;
}

/**
 * When process `pid` started (field 22, clock ticks since boot): a later process given the same
 * PID has another. Undefined off Linux or once the process is gone.
 */
export function startTimeOf(pid: number): string | undefined {
  return processStat(pid)?.startTime;
}
