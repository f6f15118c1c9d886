import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function memberCommand(): Command {
  const member = new Command('member').description('run a federation member');
  member.addCommand(
    new Command('start')
      .description('start one federation member and run until SIGTERM or Ctrl-C')
      .option('--config <file>', 'member config (JSON); environment variables override it (see federation/config.ts)')
      .option('--replay', 'rebuild the ledger from every stored block since the genesis rather than from its newest snapshot, and log whether the snapshot agrees')
      .addHelpText('after', '\nExamples:\n  strongbox member start --config .strongbox/member-0/config.json\n  STRONGBOX_MEMBER_INDEX=2 DATABASE_URL=postgres://… strongbox member start')
      .action(lazyAction(() => import('../actions/member.ts'), 'memberStart')),
  );
  return member;
}
