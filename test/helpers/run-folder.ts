import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, takeOverStaleServer } from '../../federation/postgres/stale-server.ts';
import { onTestRunEnd } from './cleanup.ts';

const FOLDER_PREFIX = 'strongbox-test-pg-';

/**
 * The folder of the whole mocha run, made by its main process (`mochaGlobalSetup` in
 * root-hooks.ts) and named to the worker processes of parallel mode through their environment,
 * which they inherit.
 */
const SHARED_FOLDER = 'STRONGBOX_TEST_RUN_FOLDER';

/**
 * A fresh folder of this run under the system temp directory (whose parents the `postgres` user
 * can enter when the tests run as root), removed after the run.
 */
export async function runFolder(): Promise<string> {
  const root = await newFolder();
  onTestRunEnd(async () => rmSync(root, { recursive: true, force: true }));
  return root;
}

async function newFolder(): Promise<string> {
  await removeFoldersOfDeadRuns();
  const root = join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(root);
  chmodSync(root, 0o755); // whatever the umask
  return root;
}

/** Makes the folder that every process of the run shares (mocha's global setup, once a run). */
export async function createSharedRunFolder(): Promise<void> {
  process.env[SHARED_FOLDER] = await newFolder();
}

/** Removes the shared folder (mocha's global teardown, once every process of the run is done with it). */
export function removeSharedRunFolder(): void {
  const root = process.env[SHARED_FOLDER];
  if (root === undefined) return;
  delete process.env[SHARED_FOLDER];
  rmSync(root, { recursive: true, force: true });
}

const made = new Map<string, Promise<string>>();

/**
 * `name` in the folder every process of the run shares, made by `make` once for the whole run:
 * the first process to ask makes it, and one that asks meanwhile waits for it, so the two
 * workers of a parallel run pay for it once, as a serial run does. A process started without the
 * shared folder (a script that is no mocha run) makes its own, in a folder of its own that goes
 * with its other shared services.
 */
export function madeOncePerRun(name: string, make: (path: string) => Promise<void>): Promise<string> {
  let path = made.get(name);
  if (path === undefined) {
    const shared = process.env[SHARED_FOLDER];
    path = shared === undefined ? madeInOwnFolder(name, make) : madeInSharedFolder(join(shared, name), make);
    made.set(name, path);
  }
  return path;
}

async function madeInOwnFolder(name: string, make: (path: string) => Promise<void>): Promise<string> {
  const path = join(await runFolder(), name);
  onTestRunEnd(async () => {
    made.delete(name);
  });
  await make(path);
  return path;
}

/** Whoever makes the folder `<path>.making` first makes `path`; `<path>.made` says it is done. */
async function madeInSharedFolder(path: string, make: (path: string) => Promise<void>): Promise<string> {
  for (;;) {
    if (existsSync(`${path}.made`)) return path;
    try {
      mkdirSync(`${path}.making`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await sleep(100);
      continue;
    }
    try {
      await make(path);
      writeFileSync(`${path}.made`, '');
      return path;
    } catch (error) {
      // A process that asks next starts again from nothing.
      rmSync(path, { recursive: true, force: true });
      throw error;
    } finally {
      rmSync(`${path}.making`, { recursive: true, force: true });
    }
  }
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
