import type pg from 'pg';
import type { Deposit } from '../../watcher/deposits.ts';
import { inTransaction } from '../../sidechain/store/pooled-client.ts';

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface ConfirmedDeposit {
  txid: string;
  vout: number;
  amountSats: bigint;
  recipient: Uint8Array;
  height: number;
}

/** A member's peg-in bookkeeping in its own database (tables of migration 002). */
export class PeginStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Idempotent: registering the same recipient twice changes nothing. */
  async register(script: Uint8Array, recipient: Uint8Array): Promise<void> {
    await this.pool.query('INSERT INTO pegin_registrations (script, recipient) VALUES ($1, $2) ON CONFLICT (script) DO NOTHING', [buffer(script), buffer(recipient)]);
  }

  async registrations(): Promise<Map<string, Uint8Array>> {
    const result = await this.pool.query<{ script: Buffer; recipient: Buffer }>('SELECT script, recipient FROM pegin_registrations');
    return new Map(result.rows.map((row) => [row.script.toString('hex'), new Uint8Array(row.recipient)]));
  }

  async followerState(): Promise<string | null> {
    const result = await this.pool.query<{ state: string }>('SELECT state FROM bitcoin_follower WHERE id = 1');
    return result.rows[0]?.state ?? null;
  }

  /** The follower's new position and what it confirmed or revoked, in one database transaction. */
  async saveFollowerStep(state: string, confirmed: Deposit[], revoked: Deposit[]): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO bitcoin_follower (id, state) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET state = excluded.state', [state]);
      for (const deposit of confirmed) {
        await client.query(
          'INSERT INTO pegin_confirmed (bitcoin_txid, bitcoin_vout, amount, recipient, height) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
          [deposit.txid, deposit.vout, deposit.amountSats.toString(), Buffer.from(deposit.recipient, 'hex'), deposit.height],
        );
      }
      for (const deposit of revoked) await client.query('DELETE FROM pegin_confirmed WHERE bitcoin_txid = $1 AND bitcoin_vout = $2', [deposit.txid, deposit.vout]);
    });
  }

  /** Asks the running member to resume minting after a deep reorg (`strongbox pegin resume`). */
  async requestResume(): Promise<void> {
    await this.pool.query('INSERT INTO pegin_resume_requests DEFAULT VALUES');
  }

  /** Takes every pending resume request; true when there was one. */
  async takeResumeRequest(): Promise<boolean> {
    const result = await this.pool.query('UPDATE pegin_resume_requests SET applied_at = now() WHERE applied_at IS NULL');
    return (result.rowCount ?? 0) > 0;
  }

  async confirmedDeposits(): Promise<ConfirmedDeposit[]> {
    const result = await this.pool.query<{ bitcoin_txid: string; bitcoin_vout: number; amount: string; recipient: Buffer; height: number }>(
      'SELECT bitcoin_txid, bitcoin_vout, amount, recipient, height FROM pegin_confirmed ORDER BY height, bitcoin_txid, bitcoin_vout',
    );
    return result.rows.map((row) => ({ txid: row.bitcoin_txid, vout: row.bitcoin_vout, amountSats: BigInt(row.amount), recipient: new Uint8Array(row.recipient), height: row.height }));
  }
}
