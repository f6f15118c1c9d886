import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function upCommand(): Command {
  return new Command('up')
    .description('bring up a complete local network (Bitcoin regtest, Postgres, five members, explorer) with a funded demo wallet, and keep it running until Ctrl-C')
    .option('--data-dir <dir>', 'where the network lives (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--fresh', 'discard the previous network in that folder and start a new one')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  strongbox up\n  strongbox up --fresh --data-dir /var/tmp/strongbox')
    .action(lazyAction(() => import('../actions/up.ts'), 'up'));
}
