import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { readOptions } from '../command-options.ts';

/**
 * `strongbox tx <txid>`: whether a transaction is final, for a command that stopped waiting for
 * its own (Ctrl-C, --wait) and named it, or any other a user was given the id of.
 */
export function txCommand(): Command {
  return readOptions(new Command('tx'))
    .description('whether a transaction is final (at which height) or pending, as a member knows it')
    .argument('<txid>', 'the transaction id a command printed')
    .addHelpText('after', '\nExample:\n  strongbox tx 3f2a…')
    .action(lazyAction(() => import('../actions/tx.ts'), 'showTransaction'));
}
