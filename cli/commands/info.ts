import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/**
 * What a genesis file defines, read from the file alone: every operator of a genesis ceremony
 * checks it before starting a member, and every user can see the escrow their BTC goes to.
 */
export function infoCommand(): Command {
  return new Command('info')
    .description('show what a genesis file defines: chain id, members and keys, threshold, peg parameters, the escrow; with --key, which member a key file is')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--key <file>', 'a member key file (strongbox keygen): print its public keys and its seat in the genesis (fails if it has none); without a genesis, its public keys alone')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  strongbox info --genesis genesis.json\n  strongbox info --genesis genesis.json --key alpha.key.json\n  strongbox info --key alpha.key.json     # its public keys, for the genesis ceremony')
    .action(lazyAction(() => import('../actions/info.ts'), 'showInfo'));
}
