import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { readOptions } from '../command-options.ts';

/**
 * `strongbox status`: where a member's chain is now. A record height for a dividend, an offer's
 * expiry and a registry view at a height are all counted in the blocks this shows.
 */
export function statusCommand(): Command {
  return readOptions(new Command('status'))
    .description("a member's chain now: its height and tip, the transactions waiting for a block, the peers it reaches")
    .addHelpText('after', '\nExample:\n  strongbox status --member http://127.0.0.1:8080')
    .action(lazyAction(() => import('../actions/status.ts'), 'showStatus'));
}
