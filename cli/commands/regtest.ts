import { Command } from 'commander';
import { fund, mine } from '../../regtest/faucet.ts';
import { newRegtestAddress } from '../../regtest/new-address.ts';
import { startRegtestNode } from '../../regtest/node.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { defaultDataDir, readNetworkFile } from '../../federation/local-network/network-file.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { parseRegtestAddress } from '../command-arguments.ts';

const MAX_BTC_SATS = 21_000_000n * 100_000_000n;
const MAX_PORT = 65_535;

interface RpcOptions {
  rpc?: string;
  dataDir?: string;
  json?: boolean;
  /** The command's option naming the node, for the refusal when neither it nor a local network is there. */
  flag?: string;
}

/** The Bitcoin node: --rpc, then $STRONGBOX_BITCOIN_RPC_URL, then the local network's file. */
export function bitcoinRpcFrom(options: RpcOptions): BitcoinRpc {
  const url = options.rpc ?? process.env.STRONGBOX_BITCOIN_RPC_URL ?? readNetworkFile(options.dataDir ?? defaultDataDir(), `name the Bitcoin node with ${options.flag ?? '--rpc'}`).bitcoinRpcUrl;
  return new BitcoinRpc(url);
}

function withRpcOptions(command: Command): Command {
  return command
    .option('--rpc <url>', 'Bitcoin JSON-RPC URL with credentials (default: $STRONGBOX_BITCOIN_RPC_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

export function regtestCommand(): Command {
  const regtest = new Command('regtest').description('regtest helpers: run a node, fund addresses from the faucet, mine blocks, make an address');

  regtest.addCommand(
    withRpcOptions(new Command('fund'))
      .description('send regtest BTC from the faucet to an address')
      .argument('<address>', 'regtest Bitcoin address (bcrt1…)')
      .argument('<btc>', 'amount in BTC, e.g. 0.5')
      .addHelpText('after', '\nExample:\n  strongbox regtest fund bcrt1q… 0.25')
      .action(async (address: string, btc: string, options: RpcOptions) => {
        const to = parseRegtestAddress(address);
        const sats = btcToSats(btc);
        // Every other command counts sats; a count of sats here would be more BTC than will ever exist.
        if (sats > MAX_BTC_SATS) throw new ValidationError('bad-amount', `regtest fund takes BTC, not sats: ${btc} BTC is more than the 21,000,000 there will ever be`);
        const txid = await fund(bitcoinRpcFrom(options), to, sats);
        printResult(options, `sent ${satsToBtc(sats)} BTC to ${to} in ${txid} (mine a block to confirm it)`, { txid, address: to, amountSats: sats });
      }),
  );

  regtest.addCommand(
    withRpcOptions(new Command('mine'))
      .description('mine regtest blocks')
      .argument('<n>', 'number of blocks')
      .option('--to <address>', 'coinbase address (default: the faucet)')
      .addHelpText('after', '\nExample:\n  strongbox regtest mine 6')
      .action(async (n: string, options: RpcOptions & { to?: string }) => {
        if (!/^\d+$/.test(n)) throw new ValidationError('bad-count', `number of blocks must be a whole number, got ${JSON.stringify(n)}`);
        const to = options.to === undefined ? undefined : parseRegtestAddress(options.to);
        const rpc = bitcoinRpcFrom(options);
        const hashes = await mine(rpc, Number(n), to);
        const height = await rpc.getBlockCount();
        printResult(options, `mined ${plural(hashes.length, 'block')}; tip is now at height ${height}`, { blocks: hashes, height });
      }),
  );
  regtest.addCommand(
    new Command('node')
      .description('run the embedded regtest node (bcoin, with a transaction index) until SIGTERM or Ctrl-C: a Bitcoin node for members started by hand')
      .requiredOption('--chain-dir <dir>', 'folder that keeps its chain across restarts')
      .option('--port <port>', 'RPC port on 127.0.0.1 (default: a free one)')
      .option('--password <password>', 'RPC password (user strongbox; default: a random one)')
      .addHelpText('after', '\nExample:\n  strongbox regtest node --chain-dir bitcoin --port 18443 --password secret\n  (then "bitcoin": { "rpcUrl": "http://strongbox:secret@127.0.0.1:18443" } in each member config)')
      .action(async (options: { chainDir: string; port?: string; password?: string }) => {
        const port = options.port === undefined ? undefined : Number(options.port);
        if (port !== undefined && !(/^\d+$/.test(options.port!) && port >= 1 && port <= MAX_PORT)) throw new ValidationError('bad-port', `--port must be a port number from 1 to ${MAX_PORT}, got ${JSON.stringify(options.port)}`);
        const node = await startRegtestNode({ dataDir: options.chainDir, ...(port === undefined ? {} : { port }), ...(options.password === undefined ? {} : { password: options.password }) });
        process.stdout.write(`regtest node at ${node.rpcUrl}, height ${await node.rpc.getBlockCount()}; Ctrl-C stops it\n`);
        await new Promise((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await node.stop();
      }),
  );
  regtest.addCommand(
    new Command('address')
      .description('a new regtest address (P2WPKH) from a fresh key: somewhere to send a peg-out; --json also gives the key')
      .option('--json', 'print the address and its private key (WIF) as JSON')
      .addHelpText('after', '\nExample:\n  strongbox pegout --to $(strongbox regtest address) --amount 250000 --file alice.wallet.json')
      .action((options: { json?: boolean }) => {
        const fresh = newRegtestAddress();
        printResult(options, fresh.address, fresh);
      }),
  );
  return regtest;
}
