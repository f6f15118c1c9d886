import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function networkCommand(): Command {
  const network = new Command('network').description('set up a federation whose members share one folder (containers, a test bed)');
  network.addCommand(
    new Command('init')
      .description('create every member\'s keys and the genesis file in one folder; keeps what exists')
      .requiredOption('--dir <dir>', 'folder for member-<i>/key.json and genesis.json')
      .option('--members <n>', 'number of members', '5')
      .option('--threshold <k>', 'signatures that make a block final (default: the smallest k > 2n/3)')
      .option('--bitcoin-network <net>', 'regtest, testnet or mainnet', 'regtest')
      .option('--json', 'print machine-readable output')
      .addHelpText('after', '\nExample:\n  strongbox network init --dir /network --members 5 --threshold 4')
      .action(lazyAction(() => import('../actions/network.ts'), 'networkInit')),
  );
  return network;
}
