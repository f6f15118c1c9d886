import pg from 'pg';
import type { TestNetwork } from './local-network.ts';

// Tables that move without any request: consensus records, the Bitcoin follower, blocks (a
// block with a transaction shows in the transactions table; the rare empty one changes nothing
// a request could have), and the ledger snapshots taken every so many blocks.
const MOVING_TABLES = new Set(['consensus_wal', 'bitcoin_follower', 'schema_migrations', 'blocks', 'ledger_snapshots', 'ledger_snapshot_chunks']);

export interface MemberStateReader {
  /**
   * What a refused request must not change on a member: its mempool and the row count of every
   * table of its database (transactions, UTXOs, mints, burns, deposit registrations, evidence,
   * … including tables added later).
   */
  read(): Promise<{ mempool: number; rows: Record<string, number> }>;
  close(): Promise<void>;
}

/** Reads a member's state straight from its database and its /status, over one connection. */
export async function memberStateReader(net: TestNetwork, index: number): Promise<MemberStateReader> {
  const client = new pg.Client({ connectionString: net.network.postgres.connectionString(`member_${index}`) });
  await client.connect();
  return {
    async read() {
      const tables = (await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows
        .map((row) => row.table_name)
        .filter((table) => !MOVING_TABLES.has(table));
      const counts = await client.query<Record<string, string>>(`SELECT ${tables.map((table) => `(SELECT count(*) FROM "${table}") AS "${table}"`).join(', ')}`);
      const rows = Object.fromEntries(Object.entries(counts.rows[0]!).map(([table, count]) => [table, Number(count)]));
      return { mempool: (await net.clients[index]!.status()).mempool, rows };
    },
    close: () => client.end(),
  };
}
