import { stopSharedServices } from './cleanup.ts';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedServices();
  },
};
