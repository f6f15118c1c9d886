import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { submitOptions } from '../command-options.ts';

export function reissueCommand(): Command {
  return submitOptions(new Command('reissue'))
    .description('issue more units of a reissuable security, signed by its issuer key (the wallet)')
    .requiredOption('--asset <asset>', 'the asset id (hex)')
    .requiredOption('--amount <units>', 'units to add to the supply, in base units')
    .option('--to <address>', 'who receives them (default: the issuer wallet)')
    .option('--file <file>', 'issuer wallet file', 'wallet.json')
    .addHelpText('after', '\nExample:\n  strongbox reissue --asset 5c1f… --amount 5000 --file issuer.wallet.json')
    .action(lazyAction(() => import('../actions/reissue.ts'), 'reissue'));
}
