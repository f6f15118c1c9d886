import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { ROLES } from '../../federation/roles/credential.ts';

function withConfig(command: Command): Command {
  return command
    .option('--config <file>', "the member's config, which names its database (environment variables override it)")
    .option('--json', 'print machine-readable output');
}

export function roleCommand(): Command {
  const role = new Command('role').description("read-only credentials for auditors and regulators, kept (hashed) in this member's database");
  role.addCommand(
    withConfig(new Command('grant'))
      .description('issue a credential; its token is printed once and never stored')
      .requiredOption('--role <role>', ROLES.join(' or '))
      .requiredOption('--name <name>', 'who holds it (kept for the record)')
      .addHelpText('after', '\nExample:\n  strongbox role grant --role auditor --name "Audit & Co" --config .strongbox/member-0/config.json')
      .action(lazyAction(() => import('../actions/role.ts'), 'grantRole')),
  );
  role.addCommand(
    withConfig(new Command('list'))
      .description('every credential this member issued, revoked ones included')
      .addHelpText('after', '\nExample:\n  strongbox role list --config .strongbox/member-0/config.json')
      .action(lazyAction(() => import('../actions/role.ts'), 'listRoles')),
  );
  role.addCommand(
    withConfig(new Command('revoke'))
      .description('revoke a credential for good')
      .argument('<id>', 'the credential id (from grant or list)')
      .addHelpText('after', '\nExample:\n  strongbox role revoke 3f2a9c41d07e5b68 --config .strongbox/member-0/config.json')
      .action(lazyAction(() => import('../actions/role.ts'), 'revokeRole')),
  );
  return role;
}
