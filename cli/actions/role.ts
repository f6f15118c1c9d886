import { withMemberDatabase } from '../member-database.ts';
import { CredentialStore, type CredentialRecord } from '../../federation/roles/credential-store.ts';
import { printResult } from '../output.ts';
import { printable } from '../../sidechain/printable.ts';

type RoleOptions = { config?: string; json?: boolean };

/** Runs `work` against the credential store in the member's own database, out of reach of any API. */
function withCredentials<T>(options: RoleOptions, work: (store: CredentialStore) => Promise<T>): Promise<T> {
  return withMemberDatabase(options.config, (pool) => work(new CredentialStore(pool)));
}

// A name stored before grant refused line breaks and direction marks must not pass for more rows, or reorder its own.
const line = (c: CredentialRecord) => `${c.id}  ${c.role.padEnd(9)}  ${c.revokedAt ? 'revoked' : 'active '}  ${printable(c.name)}`;

export async function grantRole(options: RoleOptions & { role: string; name: string }): Promise<void> {
  const { token, credential } = await withCredentials(options, (store) => store.grant(options.role, options.name));
  printResult(options, `${credential.role} credential ${credential.id} for ${credential.name}:\n${token}\nshown only now; the member keeps only its hash. Use it as: Authorization: Bearer <token>`, { ...credential, token });
}

export async function listRoles(options: RoleOptions): Promise<void> {
  const credentials = await withCredentials(options, (store) => store.list());
  printResult(options, credentials.length === 0 ? '(no credentials)' : credentials.map(line).join('\n'), { credentials });
}

export async function revokeRole(id: string, options: RoleOptions): Promise<void> {
  const { credential, revokedNow } = await withCredentials(options, (store) => store.revoke(id));
  printResult(options, `${revokedNow ? 'revoked' : `already revoked at ${credential.revokedAt!.toISOString()}`}: ${line(credential)}`, { ...credential, revokedNow });
}
