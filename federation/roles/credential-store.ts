import type pg from 'pg';
import { timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../../sidechain/errors.ts';
import { isPrintable, printable } from '../../sidechain/printable.ts';
import { newCredential, parseCredential, ROLES, type Role } from './credential.ts';

export interface CredentialRecord {
  id: string;
  role: Role;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  role: Role;
  name: string;
  secret_sha256: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const record = (row: Row): CredentialRecord => ({ id: row.id, role: row.role, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at });

/** The role credentials of one member, in its own database (table `role_credentials`). */
export class CredentialStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates a credential and returns its token: the only time the secret exists outside the holder's hands. */
  async grant(role: string, name: string): Promise<{ token: string; credential: CredentialRecord }> {
    if (!ROLES.includes(role as Role)) throw new ValidationError('bad-role', `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100) throw new ValidationError('bad-name', 'a credential needs a name of 1 to 100 characters (who holds it)');
    // A line break, another control character or a direction mark would let a name pass for more rows of `role list`, or reorder its row.
    if (!isPrintable(trimmed)) throw new ValidationError('bad-name', `a credential's name is one line of text, without control characters or direction marks: got "${printable(trimmed)}"`);
    const created = newCredential();
    const result = await this.pool.query<Row>(
      'INSERT INTO role_credentials (id, role, name, secret_sha256) VALUES ($1, $2, $3, $4) RETURNING *',
      [created.id, role, trimmed, Buffer.from(created.secretSha256)],
    );
    return { token: created.token, credential: record(result.rows[0]!) };
  }

  async list(): Promise<CredentialRecord[]> {
    const result = await this.pool.query<Row>('SELECT * FROM role_credentials ORDER BY created_at, id');
    return result.rows.map(record);
  }

  /** Revokes a credential for good; revoking it again changes nothing. */
  async revoke(id: string): Promise<{ credential: CredentialRecord; revokedNow: boolean }> {
    // now() is the statement's transaction time: equal to revoked_at only where this statement set it.
    const result = await this.pool.query<Row & { revoked_now: boolean }>(
      'UPDATE role_credentials SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *, revoked_at = now() AS revoked_now',
      [id],
    );
    const row = result.rows[0];
    if (!row) {
      // The whole token given instead of its id is a likely slip: the id is its middle part.
      const tokenId = /^sbx_([0-9a-f]{16})_[0-9a-f]{64}$/.exec(id)?.[1];
      throw new ValidationError('unknown-credential', tokenId ? `give the credential's id, ${tokenId}, not the whole token` : `no credential ${JSON.stringify(id)} (role list shows the ids)`);
    }
    return { credential: record(row), revokedNow: row.revoked_now };
  }

  /** The live credential a token names, or undefined for anything else (malformed, unknown, wrong secret, revoked). */
  async verify(token: string): Promise<CredentialRecord | undefined> {
    const presented = parseCredential(token);
    if (!presented) return undefined;
    const result = await this.pool.query<Row>('SELECT * FROM role_credentials WHERE id = $1', [presented.id]);
    const row = result.rows[0];
    if (!row || row.revoked_at !== null) return undefined;
    return timingSafeEqual(row.secret_sha256, presented.secretSha256) ? record(row) : undefined;
  }
}
