import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { networkOptions, submitOptions } from '../command-options.ts';

export function pegoutCommand(): Command {
  const pegout = submitOptions(new Command('pegout'))
    .description('burn pegged BTC for payment to a Bitcoin address (fee from the withdrawal), and follow it')
    .option('--to <bitcoin-address>', 'where the BTC is paid')
    .option('--amount <sats>', 'pegged satoshis to burn; the published fee share comes out of it')
    .option('--file <file>', 'wallet file', 'wallet.json')
    .addHelpText('after', '\nExamples:\n  strongbox pegout --to bcrt1q… --amount 250000 --file alice.wallet.json\n  strongbox pegout status <burn-txid>')
    .action(lazyAction(() => import('../actions/pegout.ts'), 'pegout'));
  pegout.addCommand(
    networkOptions(new Command('status'))
      .description('show a burn: burned → final → in Bitcoin transaction T → N confirmations; waits for the first confirmation')
      .argument('<burn-txid>', 'the burn transaction id')
      .option('--no-wait', 'print the current state and return')
      .addHelpText('after', '\nExample:\n  strongbox pegout status 3f2a…')
      .action(lazyAction(() => import('../actions/pegout.ts'), 'pegoutStatus')),
  );
  pegout.addCommand(
    new Command('approve')
      .description("approve burns the circuit breaker holds, on this operator's member (a burn needs the approval of k members)")
      .argument('<burn-txid...>', 'the held burns (listed under heldForApproval at /pegout/policy and in the member log)')
      .option('--config <file>', "the member's config, which names its database (environment variables override it)")
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox pegout approve 3f2a… 9c41… --config .strongbox/member-0/config.json')
      .action(lazyAction(() => import('../actions/pegout.ts'), 'approveBurns')),
  );
  return pegout;
}
