import { ChainStore } from '../../sidechain/store/chain-store.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { Chain, DEFAULT_CHAIN_OPTIONS, type ChainOptions, type ChainStartOptions } from '../../federation/member/chain.ts';
import { freshDatabase, type TestDatabase } from './postgres.ts';

/** A member's store as a member starts on it: a fresh database of the shared Postgres server, migrated. */
export interface ChainFixture {
  db: TestDatabase;
  store: ChainStore;
  /** The chain of `genesis` opened on the store as a member opens it: the default options and the wall clock, unless `options` say otherwise. */
  open(genesis: Genesis, options?: Partial<ChainOptions>, start?: ChainStartOptions): Promise<Chain>;
  /** Closes the database's pool and drops it. */
  drop(): Promise<void>;
}

export async function chainFixture(prefix: string): Promise<ChainFixture> {
  const db = await freshDatabase(prefix);
  const store = new ChainStore(db.pool);
  try {
    await store.migrate();
  } catch (error) {
    await db.drop();
    throw error;
  }
  return {
    db,
    store,
    open: (genesis, options = {}, start = {}) => Chain.open(genesis, store, { ...DEFAULT_CHAIN_OPTIONS, now: () => BigInt(Date.now()), ...options }, undefined, start),
    drop: () => db.drop(),
  };
}
