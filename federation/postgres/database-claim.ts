import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { InUseError } from '../pid-lock.ts';
import { throwIfStopRequested } from '../member/stop-request.ts';

/**
 * The advisory lock key a member holds on its own database for as long as it runs. Advisory
 * locks are per database, so members whose databases share a server do not meet.
 */
export const MEMBER_LOCK_KEY = 0x5342_584d_454d_4252n; // "SBXMEMBR"

/** Pause between attempts to claim the database again once the holding connection has gone. */
const RECLAIM_PAUSE_MS = 1_000;
/** The member index in the application name a member process connects with. */
const MEMBER_APPLICATION_NAME = /^strongbox member (\d+) \(/;

export interface DatabaseClaim {
  /** Settles with the refusal once another process holds the database this member held (its connection had dropped meanwhile). */
  lost: Promise<InUseError>;
  release(): Promise<void>;
}

/**
 * Holds this member's database for this process alone. Two member processes on one database
 * (one started twice, or a second config naming the same DATABASE_URL) would each restore
 * consensus from the same write-ahead log and each sign with the same key, so the second could
 * sign a block the first had not: the start of a second one is refused, naming the first.
 * Postgres releases a session's advisory lock when its connection ends (the member exits, is
 * killed, or the server restarts); the member then claims it again, and if another process took
 * it meanwhile, `lost` tells the member to stop. A claim found held is asked again for `heldWaitMs`
 * (the member's `databaseClaimWaitMs`) before it is refused: a holder that has just died may still
 * be closing its connection.
 */
export async function claimMemberDatabase(url: string, memberIndex: number, heldWaitMs: number, stopRequested?: AbortSignal): Promise<DatabaseClaim> {
  const applicationName = `strongbox member ${memberIndex} (pid ${process.pid} on ${hostname()})`;
  let released = false;
  let held: pg.Client | undefined;
  let reportLost!: (error: InUseError) => void;
  const lost = new Promise<InUseError>((resolve) => (reportLost = resolve));

  const onConnectionGone = (client: pg.Client) => {
    if (held !== client || released) return;
    held = undefined;
    void reclaim();
  };
  /** A connected client holding the lock, or the process holding it instead. */
  const attempt = async (): Promise<pg.Client | LockHolder> => {
    const client = new pg.Client({ connectionString: url, application_name: applicationName, keepAlive: true });
    client.on('error', () => onConnectionGone(client));
    client.on('end', () => onConnectionGone(client));
    await client.connect();
    try {
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [MEMBER_LOCK_KEY.toString()]);
      if (rows[0]!.taken) return client;
      const holder = await lockHolder(client);
      await client.end();
      return holder;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  };
  const reclaim = async () => {
    while (!released) {
      await sleep(RECLAIM_PAUSE_MS);
      if (released) return;
      const outcome = await attempt().catch(() => undefined); // the server is away: ask again
      if (outcome === undefined) continue;
      if (!(outcome instanceof pg.Client)) return reportLost(inUse(outcome, memberIndex));
      if (released) return void (await outcome.end().catch(() => undefined));
      held = outcome;
      return;
    }
  };

  const deadline = Date.now() + heldWaitMs;
  for (;;) {
    const outcome = await attempt();
    if (outcome instanceof pg.Client) {
      held = outcome;
      break;
    }
    if (Date.now() >= deadline) throw inUse(outcome, memberIndex);
    // The wait may be long (databaseClaimWaitMs, up to ten minutes): a stop asked ends it.
    throwIfStopRequested(stopRequested);
    await sleep(RECLAIM_PAUSE_MS);
  }
  return {
    lost,
    async release() {
      released = true;
      await held?.end().catch(() => undefined);
    },
  };
}

interface LockHolder {
  description: string;
  /** The member a Strongbox member process holding the lock says it is. */
  memberIndex?: number;
}

/**
 * Another member's process on this database is no second start of this member: one of the two
 * configs names the other's database, and stopping the running one would not help.
 */
function inUse(holder: LockHolder, memberIndex: number): InUseError {
  if (holder.memberIndex !== undefined && holder.memberIndex !== memberIndex) {
    return new InUseError(
      `databaseUrl: the member's database is in use by ${holder.description}, not by member ${memberIndex}: one of the two configs names the other member's database; give each member its own (databaseUrl, DATABASE_URL or dataDir)`,
    );
  }
  return new InUseError(`databaseUrl: the member's database is in use by ${holder.description}: two member processes on one database would both sign from its consensus log; stop that one first`);
}

/** The session holding the member lock on this database, as far as the server shows it. */
async function lockHolder(client: pg.Client): Promise<LockHolder> {
  const { rows } = await client.query<{ application_name: string; client_addr: string | null; client_port: number | null; pid: number }>(
    `SELECT a.application_name, host(a.client_addr) AS client_addr, a.client_port, a.pid
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1`,
    [MEMBER_LOCK_KEY.toString()],
  );
  const row = rows[0];
  if (!row) return { description: 'another member process' };
  // No address and port -1 is a session over the server's Unix-domain socket: on its machine.
  const from = row.client_addr ? `, connected from ${row.client_addr}` : row.client_port === -1 ? `, connected over the server's Unix-domain socket` : '';
  const member = MEMBER_APPLICATION_NAME.exec(row.application_name)?.[1];
  return { description: `${row.application_name || 'another process'}${from} (server process ${row.pid})`, ...(member === undefined ? {} : { memberIndex: Number(member) }) };
}
