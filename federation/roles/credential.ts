import { randomBytes } from 'node:crypto';
import { sha256 } from '../../sidechain/hash.ts';

/** Read-only roles an operator can grant. Issuers need no credential: they sign with their issuer key. */
export const ROLES = ['auditor', 'regulator'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A credential is `sbx_<id>_<secret>`: a public id (8 random bytes) to find it by, and a secret
 * (32 random bytes) of which the member stores only the SHA-256. 256 random bits need no slow
 * password hash: there is nothing to guess.
 */
const TOKEN = /^sbx_([0-9a-f]{16})_([0-9a-f]{64})$/;

export interface NewCredential {
  id: string;
  token: string;
  secretSha256: Uint8Array;
}

export function newCredential(): NewCredential {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32);
  return { id, token: `sbx_${id}_${secret.toString('hex')}`, secretSha256: sha256(secret) };
}

/** The id and the secret's hash of a presented token; undefined when it is not one at all. */
export function parseCredential(token: string): { id: string; secretSha256: Uint8Array } | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  return { id: match[1]!, secretSha256: sha256(Buffer.from(match[2]!, 'hex')) };
}
