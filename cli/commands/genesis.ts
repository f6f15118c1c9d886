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
    .option('--pegin-fee <sats>', 'the fee kept from each deposit minted, in sats (default 0)')
    .option('--pegin-minimum <sats>', 'the smallest deposit minted, in sats (default 10000); smaller ones are never minted')
    .option('--pegout-minimum <sats>', 'the smallest burn paid out, in sats (default 10000); at least what a burn paid alone needs for its Bitcoin fee and an output above dust')
    .option('--fallback-fee-rate <sat/vB>', 'the Bitcoin fee rate members use when their node gives no estimate, 1-10000 (default 2)')
    .option('--circuit-breaker <basis points>', 'peg-outs beyond this share of the reserves an hour wait for the operators of k members to approve them, 1-10000 (default 2500: 25 %)')
    .option('--anchor-interval-blocks <n>', 'anchor the chain into Bitcoin every n blocks while it is active (default 10)')
    .option('--anchor-interval-seconds <s>', 'or every s seconds, whichever comes first (default 60)')
    .requiredOption('--out <file>', 'where to write the genesis file (never overwritten)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox genesis --member alpha=<block key>,<peg key>,https://alpha.example:8200 --member beta=… --threshold 4 --out genesis.json')
    .action(lazyAction(() => import('../actions/genesis.ts'), 'writeGenesis'));
}
