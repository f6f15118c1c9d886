import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function peginAddressCommand(): Command {
  return new Command('pegin-address')
    .description('derive the Bitcoin deposit address bound to a sidechain address, and register it with the members')
    .argument('<sbx-address>', 'the sidechain address that receives the pegged BTC')
    .option('--member <url...>', 'member API URLs to register with (default: every member of the local network, else those the genesis lists, else $STRONGBOX_MEMBER_URL)')
    .option('--offline', 'only derive the address from the genesis file; register nowhere')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox pegin-address sbx1… \n  (then send BTC to the printed bcrt1… address; it is minted after the genesis confirmation depth)')
    .action(lazyAction(() => import('../actions/pegin.ts'), 'peginAddress'));
}

export function peginCommand(): Command {
  const pegin = new Command('pegin').description('follow and claim peg-in deposits');
  pegin.addCommand(
    new Command('status')
      .description('show a deposit\'s confirmations and wait until it is minted')
      .argument('<txid>', 'the Bitcoin transaction that paid a deposit address')
      .option('--member <url...>', 'member API URL (default: the local network\'s first member)')
      .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
      .option('--no-wait', 'print the current state and return')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox pegin status 3f2a…')
      .action(lazyAction(() => import('../actions/pegin.ts'), 'peginStatus')),
  );
  pegin.addCommand(
    new Command('claim')
      .description('claim a deposit made to a derivable address nobody registered before it was mined')
      .argument('<outpoint>', 'txid:vout of the deposit output')
      .requiredOption('--to <sbx-address>', 'the sidechain address the deposit address was derived for')
      .option('--member <url...>', 'member API URLs (default: every member of the local network, else those the genesis lists)')
      .option('--genesis <file>', 'genesis file listing the members\' API addresses (default: $STRONGBOX_GENESIS_FILE); only read without --member and a local network')
      .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox pegin claim 3f2a…:0 --to sbx1…')
      .action(lazyAction(() => import('../actions/pegin.ts'), 'claimDeposit')),
  );
  pegin.addCommand(
    new Command('resume')
      .description("resume minting on this operator's member after a deep Bitcoin reorg halted it, once the revoked deposits are reviewed")
      .option('--config <file>', "the member's config, which names its database (environment variables override it)")
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox pegin resume --config .strongbox/member-0/config.json')
      .action(lazyAction(() => import('../actions/pegin.ts'), 'resumeMinting')),
  );
  return pegin;
}
