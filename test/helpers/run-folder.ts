import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isAlive, takeOverStaleServer } from '../../federation/postgres/stale-server.ts';
import { onTestRunEnd } from './cleanup.ts';

const FOLDER_PREFIX = 'strongbox-test-pg-';

/**
 * A fresh folder of this run under the system temp directory (whose parents the `postgres` user
 * can enter when the tests run as root), removed after the run.
 */
export async function runFolder(): Promise<string> {
  await removeFoldersOfDeadRuns();
  const root = join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(root);
  chmodSync(root, 0o755); // whatever the umask
  onTestRunEnd(async () => rmSync(root, { recursive: true, force: true }));
  return root;
}

/**
 * A test run that is killed (Ctrl-C, a timeout killing its process group) never reaches its
 * clean-up; the next run stops any server such a run left behind and removes its folder.
 */
async function removeFoldersOfDeadRuns(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${FOLDER_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    const root = join(tmpdir(), entry);
    await takeOverStaleServer(join(root, 'cluster'), 15_000);
    rmSync(root, { recursive: true, force: true });
  }
}
