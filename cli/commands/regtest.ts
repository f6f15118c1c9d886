import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

function withRpcOptions(command: Command): Command {
  return command
    .option('--rpc <url>', 'Bitcoin JSON-RPC URL with credentials (default: $STRONGBOX_BITCOIN_RPC_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

export function regtestCommand(): Command {
  const regtest = new Command('regtest').description('regtest helpers: run a node, fund addresses from the faucet, mine blocks, make a reorg, make an address');

  regtest.addCommand(
    withRpcOptions(new Command('fund'))
      .description('send regtest BTC from the faucet to an address')
      .argument('<address>', 'regtest Bitcoin address (bcrt1…)')
      .argument('<btc>', 'amount in BTC, e.g. 0.5')
      .addHelpText('after', '\nExample:\n  strongbox regtest fund bcrt1q… 0.25')
      .action(lazyAction(() => import('../actions/regtest.ts'), 'regtestFund')),
  );

  regtest.addCommand(
    withRpcOptions(new Command('mine'))
      .description('mine regtest blocks')
      .argument('<n>', 'number of blocks')
      .option('--to <address>', 'coinbase address (default: the faucet)')
      .addHelpText('after', '\nExample:\n  strongbox regtest mine 6')
      .action(lazyAction(() => import('../actions/regtest.ts'), 'regtestMine')),
  );
  regtest.addCommand(
    withRpcOptions(new Command('reorg'))
      .description('a Bitcoin reorg for drills: replace the last <depth> blocks of a regtest node with <depth> + 1 new ones (invalidateblock, then mining to the faucet); prints the old and the new tip')
      .argument('<depth>', 'number of blocks to replace, from 1')
      .addHelpText(
        'after',
        '\nThe transactions of the replaced blocks: Bitcoin Core takes them back into its mempool, and the\nnew blocks mine them again; the embedded node (bcoin) empties its whole mempool instead, so they\nstay out of the new blocks unless someone sends them again (the members send the federation\'s\npayments again; a deposit stays gone). Refused on a node that does not follow regtest.\n\nExample (the 3 newest blocks replaced by 4 others):\n  strongbox regtest reorg 3',
      )
      .action(lazyAction(() => import('../actions/regtest.ts'), 'regtestReorg')),
  );
  regtest.addCommand(
    new Command('node')
      .description('run the embedded regtest node (bcoin, with a transaction index) until SIGTERM or Ctrl-C: a Bitcoin node for members started by hand')
      .requiredOption('--chain-dir <dir>', 'folder that keeps its chain across restarts')
      .option('--port <port>', 'RPC port on 127.0.0.1 (default: a free one)')
      .option('--password <password>', 'RPC password (user strongbox; default: a random one)')
      .addHelpText('after', '\nExample:\n  strongbox regtest node --chain-dir bitcoin --port 18443 --password secret\n  (then "bitcoin": { "rpcUrl": "http://strongbox:secret@127.0.0.1:18443" } in each member config)')
      .action(lazyAction(() => import('../actions/regtest.ts'), 'regtestNode')),
  );
  regtest.addCommand(
    new Command('address')
      .description('a new regtest address (P2WPKH) from a fresh key: somewhere to send a peg-out; --json also gives the key')
      .option('--json', 'print the address and its private key (WIF) as JSON')
      .addHelpText('after', '\nExample:\n  strongbox pegout --to $(strongbox regtest address) --amount 250000 --file alice.wallet.json')
      .action(lazyAction(() => import('../actions/regtest.ts'), 'regtestAddress')),
  );
  return regtest;
}
