import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { submitOptions } from '../command-options.ts';

export function dividendCommand(): Command {
  return submitOptions(new Command('dividend'))
    .description('pay pegged BTC pro rata to the holders of a security at a record height, from the issuer wallet')
    .requiredOption('--asset <asset>', 'the security (asset id, hex)')
    .requiredOption('--record-height <height>', 'the block after which holdings count (at most the current tip)')
    .requiredOption('--total <sats>', 'pegged satoshis to distribute')
    .option('--file <file>', 'issuer wallet file (the issuer key pays and signs)', 'wallet.json')
    .option('--again', 'pay although a dividend at this record height was already paid (it pays the holders a second time)')
    .addHelpText(
      'after',
      '\nThe issuer\'s own holding earns nothing and does not count: each other holder gets\nfloor(total × holding / what the others hold), and the satoshis left over go one each to the\nlargest fractional parts. Every member recomputes this. `strongbox status` shows the height now.\n\nExample:\n  strongbox dividend --asset 5c1f… --record-height 42 --total 1000000 --file issuer.wallet.json',
    )
    .action(lazyAction(() => import('../actions/dividend.ts'), 'payDividend'));
}
