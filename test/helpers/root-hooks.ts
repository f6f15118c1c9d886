import { stopSharedServices } from './cleanup.ts';
import { createSharedRunFolder, removeSharedRunFolder } from './run-folder.ts';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedServices();
  },
};

/** Once a run, in mocha's main process, before any worker of parallel mode starts. */
export async function mochaGlobalSetup(): Promise<void> {
  await createSharedRunFolder();
}

/** Once a run, in mocha's main process, after every worker is done. */
export function mochaGlobalTeardown(): void {
  removeSharedRunFolder();
}
