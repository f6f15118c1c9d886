import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { networkOptions, submitOptions } from '../command-options.ts';

const DEFAULT_WALLET = 'wallet.json';

export function walletCommand(): Command {
  const wallet = new Command('wallet').description('a single-key wallet kept in a local file');
  wallet.addCommand(
    new Command('new')
      .description('create a wallet file (mode 0600) and print its address')
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox wallet new --file alice.wallet.json')
      .action(lazyAction(() => import('../actions/wallet.ts'), 'createWallet')),
  );
  wallet.addCommand(
    new Command('words')
      .description("print the wallet's 24 recovery words (BIP-39), to write down: they restore the wallet with `wallet restore`")
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nAnyone who reads the words can spend the wallet\'s coins: write them on paper, keep them offline.\n\nExample:\n  strongbox wallet words --file alice.wallet.json')
      .action(lazyAction(() => import('../actions/wallet.ts'), 'showRecoveryWords')),
  );
  wallet.addCommand(
    new Command('restore')
      .description('write a wallet file from its 24 recovery words, read from standard input (never from the command line, which shell history keeps)')
      .requiredOption('--file <file>', 'the wallet file to write (it must not exist)')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nThe wallet\'s DvP offer records were in its old file only; its coins are on the chain.\n\nExamples:\n  strongbox wallet restore --file alice.wallet.json     (then type the words and press Enter)\n  strongbox wallet words --file alice.wallet.json | strongbox wallet restore --file copy.wallet.json')
      .action(lazyAction(() => import('../actions/wallet.ts'), 'restoreWallet')),
  );
  wallet.addCommand(
    networkOptions(new Command('show'))
      .description("print the wallet's address, final balances, peg-in deposits not minted yet and open DvP offers")
      .option('--file <file>', 'wallet file', DEFAULT_WALLET)
      .addHelpText('after', '\nExample:\n  strongbox wallet show --file alice.wallet.json')
      .action(lazyAction(() => import('../actions/wallet.ts'), 'showWallet')),
  );
  return wallet;
}

export function sendCommand(): Command {
  return submitOptions(new Command('send'))
    .description('send an asset from the wallet and wait until the transfer is final')
    .requiredOption('--to <address>', 'recipient sbx address')
    .requiredOption('--amount <units>', 'amount in base units (satoshis for BTC)')
    .option('--asset <asset>', 'BTC or an asset id (hex)', 'BTC')
    .option('--file <file>', 'wallet file', DEFAULT_WALLET)
    .option('--spend-offered', "when the wallet's other coins fall short, spend coins backing its open DvP offers too (those offers can then never settle)")
    .addHelpText('after', '\nExample:\n  strongbox send --asset BTC --to sbx1… --amount 25000 --file alice.wallet.json')
    .action(lazyAction(() => import('../actions/wallet.ts'), 'send'));
}
