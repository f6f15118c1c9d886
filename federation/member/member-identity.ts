import type pg from 'pg';
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
  refuseAnotherMembers(await store.claimMemberIdentity(own), genesis, memberIndex);
}

/**
 * The same check for an operator command (pegout approve, role grant, pegin resume), which reads
 * what is recorded and records nothing: the member claims its database as it starts. An approval
 * or a credential written into another member's database (a DATABASE_URL beside the wrong config)
 * would count as that member's operator's, on a member whose operator never gave it.
 */
export async function assertOperatorDatabaseOfThisMember(pool: pg.Pool, genesisOf: () => Genesis, memberIndex: number): Promise<void> {
  const result = await pool.query<{ block_key: Buffer }>('SELECT block_key FROM member_identity');
  const recorded = result.rows[0];
  // A database no member has started on yet is nobody's; the genesis is read only to judge a claim.
  if (!recorded) return;
  const genesis = genesisOf();
  if (memberIndex >= genesis.members.keys.length) {
    throw new ConfigError('memberIndex', `the genesis has no member ${memberIndex}: its ${genesis.members.keys.length} members are 0 to ${genesis.members.keys.length - 1}`);
  }
  refuseAnotherMembers(new Uint8Array(recorded.block_key), genesis, memberIndex);
}

function refuseAnotherMembers(recorded: Uint8Array, genesis: Genesis, memberIndex: number): void {
  if (sameBytes(recorded, genesis.members.keys[memberIndex]!)) return;
  const owner = genesis.members.keys.findIndex((key) => sameBytes(key, recorded));
  const whose = owner >= 0 ? `member ${owner} (${genesis.file.members[owner]!.name})` : `a member with block key ${Buffer.from(recorded).toString('hex')}, none of this genesis`;
  throw new ConfigError(
    'databaseUrl',
    `the database belongs to ${whose}, not to member ${memberIndex}: give each member its own database (databaseUrl, DATABASE_URL or dataDir), and this config the genesis of its chain (genesisFile)`,
  );
}
