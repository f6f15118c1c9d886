import { Command } from 'commander';
import { resolve } from 'node:path';
import { genesisPath, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { MAX_MEMBERS, type GenesisFile } from '../../sidechain/genesis.ts';
import { printResult } from '../output.ts';

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
      .action((options: { dir: string; members: string; threshold?: string; bitcoinNetwork: string; json?: boolean }) => {
        if (!/^\d+$/.test(options.members) || Number(options.members) < 1 || Number(options.members) > MAX_MEMBERS) {
          throw new ValidationError('bad-number', `--members must be a whole number from 1 to ${MAX_MEMBERS}`);
        }
        if (options.threshold !== undefined && !/^\d+$/.test(options.threshold)) throw new ValidationError('bad-number', '--threshold must be a whole number');
        if (!['regtest', 'testnet', 'mainnet'].includes(options.bitcoinNetwork)) throw new ValidationError('bad-network', '--bitcoin-network must be regtest, testnet or mainnet');
        const dir = resolve(options.dir);
        const genesis = runLocalCeremony({
          dir,
          members: Number(options.members),
          threshold: options.threshold === undefined ? undefined : Number(options.threshold),
          bitcoinNetwork: options.bitcoinNetwork as GenesisFile['bitcoinNetwork'],
        });
        const chainId = Buffer.from(genesis.chainId).toString('hex');
        printResult(options, `genesis ${genesisPath(dir)}\nchain id ${chainId}`, { genesisFile: genesisPath(dir), chainId });
      }),
  );
  return network;
}
