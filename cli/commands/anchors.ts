import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { readOptions } from '../command-options.ts';

/** `strongbox anchors`: every anchor record of the final chain, with its Bitcoin confirmations. */
export function anchorsCommand(): Command {
  return readOptions(new Command('anchors'))
    .description('list the anchors: each sidechain height and block hash written into Bitcoin, the Bitcoin txid, and its confirmations')
    .addHelpText('after', '\nExample:\n  strongbox anchors --member http://127.0.0.1:8080')
    .action(lazyAction(() => import('../actions/anchors.ts'), 'listAnchors'));
}

/** `strongbox anchor fund`: pays the operations wallet that anchor fees come from. */
export function anchorCommand(): Command {
  const anchor = new Command('anchor').description('the federation operations wallet that pays for anchors');
  anchor.addCommand(
    new Command('fund')
      .description('fund the operations wallet: on regtest from the faucet; on other networks it prints the address to pay from your own wallet')
      .requiredOption('--amount <btc>', 'amount in BTC, e.g. 0.01')
      .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
      .option('--rpc <url>', 'regtest Bitcoin JSON-RPC URL with credentials (default: $STRONGBOX_BITCOIN_RPC_URL or the local network)')
      .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nThe address is derived from the genesis file alone (every member peg key, tweaked for the ops wallet).\n\nExample:\n  strongbox anchor fund --amount 0.01')
      .action(lazyAction(() => import('../actions/anchors.ts'), 'fundOpsWallet')),
  );
  return anchor;
}
