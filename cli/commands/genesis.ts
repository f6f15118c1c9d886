import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function genesisCommand(): Command {
  return new Command('genesis')
    .description('write the genesis file from the members\' public keys (the genesis ceremony)')
    .requiredOption('--member <name=blockKey,pegKey[,apiUrl]>', 'a member, in federation order (repeat for each); `,<API URL>` after the peg key lists where its API is reached', (value: string, all: string[] = []) => [...all, value])
    .option('--threshold <k>', 'signatures that make a block final (default: the smallest k > 2n/3)')
    .option('--network <name>', 'name of this sidechain network', 'strongbox')
    .option('--bitcoin-network <net>', 'regtest, testnet or mainnet', 'regtest')
    .option('--pegin-confirmations <n>', 'Bitcoin confirmations before a deposit mints (default 2 on regtest, 102 on mainnet)')
    .option('--pegout-minimum <sats>', 'the smallest burn paid out, in sats (default 10000); at least what a burn paid alone needs for its Bitcoin fee and an output above dust')
    .requiredOption('--out <file>', 'where to write the genesis file (never overwritten)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox genesis --member alpha=<block key>,<peg key>,https://alpha.example:8200 --member beta=… --threshold 4 --out genesis.json')
    .action(lazyAction(() => import('../actions/genesis.ts'), 'writeGenesis'));
}
