import { Command } from 'commander';
import { withMemberDatabase } from '../member-database.ts';
import { ROLES } from '../../federation/roles/credential.ts';
import { CredentialStore, type CredentialRecord } from '../../federation/roles/credential-store.ts';
import { printResult } from '../output.ts';

type RoleOptions = { config?: string; json?: boolean };

/** Runs `work` against the credential store in the member's own database, out of reach of any API. */
function withCredentials<T>(options: RoleOptions, work: (store: CredentialStore) => Promise<T>): Promise<T> {
  return withMemberDatabase(options.config, (pool) => work(new CredentialStore(pool)));
}

function withConfig(command: Command): Command {
  return command
    .option('--config <file>', "the member's config, which names its database (environment variables override it)")
    .option('--json', 'print machine-readable output');
}

const line = (c: CredentialRecord) => `${c.id}  ${c.role.padEnd(9)}  ${c.revokedAt ? 'revoked' : 'active '}  ${c.name}`;

export function roleCommand(): Command {
  const role = new Command('role').description("read-only credentials for auditors and regulators, kept (hashed) in this member's database");
  role.addCommand(
    withConfig(new Command('grant'))
      .description('issue a credential; its token is printed once and never stored')
      .requiredOption('--role <role>', ROLES.join(' or '))
      .requiredOption('--name <name>', 'who holds it (kept for the record)')
      .addHelpText('after', '\nExample:\n  strongbox role grant --role auditor --name "Audit & Co" --config .strongbox/member-0/config.json')
      .action(async (options: RoleOptions & { role: string; name: string }) => {
        const { token, credential } = await withCredentials(options, (store) => store.grant(options.role, options.name));
        printResult(options, `${credential.role} credential ${credential.id} for ${credential.name}:\n${token}\nshown only now; the member keeps only its hash. Use it as: Authorization: Bearer <token>`, { ...credential, token });
      }),
  );
  role.addCommand(
    withConfig(new Command('list'))
      .description('every credential this member issued, revoked ones included')
      .addHelpText('after', '\nExample:\n  strongbox role list --config .strongbox/member-0/config.json')
      .action(async (options: RoleOptions) => {
        const credentials = await withCredentials(options, (store) => store.list());
        printResult(options, credentials.length === 0 ? '(no credentials)' : credentials.map(line).join('\n'), { credentials });
      }),
  );
  role.addCommand(
    withConfig(new Command('revoke'))
      .description('revoke a credential for good')
      .argument('<id>', 'the credential id (from grant or list)')
      .addHelpText('after', '\nExample:\n  strongbox role revoke 3f2a9c41d07e5b68 --config .strongbox/member-0/config.json')
      .action(async (id: string, options: RoleOptions) => {
        const { credential, revokedNow } = await withCredentials(options, (store) => store.revoke(id));
        printResult(options, `${revokedNow ? 'revoked' : `already revoked at ${credential.revokedAt!.toISOString()}`}: ${line(credential)}`, { ...credential, revokedNow });
      }),
  );
  return role;
}
