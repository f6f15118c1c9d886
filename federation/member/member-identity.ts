import { sameBytes } from '../../sidechain/bytes.ts';
import { ConfigError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';

/**
 * Refuses a database another member has used. Its consensus log records what that member signed;
 * restored as this member's own, it would be signed again with this member's key, which may have
 * signed otherwise at the same height and round on its own database: two conflicting votes, and
 * that other member, back on its database, would find this one's records in its log.
 */
export async function assertDatabaseOfThisMember(store: ChainStore, genesis: Genesis, memberIndex: number): Promise<void> {
  const own = genesis.members.keys[memberIndex]!;
  const recorded = await store.claimMemberIdentity(own);
  if (sameBytes(recorded, own)) return;
  const owner = genesis.members.keys.findIndex((key) => sameBytes(key, recorded));
  const whose = owner >= 0 ? `member ${owner} (${genesis.file.members[owner]!.name})` : `a member with block key ${Buffer.from(recorded).toString('hex')}, none of this genesis`;
  throw new ConfigError(
    'databaseUrl',
    `the database belongs to ${whose}, not to member ${memberIndex}: give each member its own database (databaseUrl, DATABASE_URL or dataDir), and this config the genesis of its chain (genesisFile)`,
  );
}
