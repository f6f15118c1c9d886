import { Command } from 'commander';
import { ValidationError } from '../../sidechain/errors.ts';
import { fund } from '../../regtest/faucet.ts';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { bitcoinRpcFrom } from './regtest.ts';
import { memberOptions } from './wallet.ts';

/** `strongbox anchors`: every anchor record of the final chain, with its Bitcoin confirmations. */
export function anchorsCommand(): Command {
  return memberOptions(new Command('anchors'))
    .description('list the anchors: each sidechain height and block hash written into Bitcoin, the Bitcoin txid, and its confirmations')
    .addHelpText('after', '\nExample:\n  strongbox anchors --member http://127.0.0.1:8080')
    .action(async (options: NetworkOptions & { json?: boolean }) => {
      const anchors = await memberClientFrom(options).allAnchors();
      const rows = anchors.map((anchor) => `${String(anchor.height).padStart(8)}  ${anchor.blockHash}  ${anchor.bitcoinTxid}  ${anchor.confirmations === null ? 'not on Bitcoin' : `${anchor.confirmations} conf`}`);
      const human = anchors.length === 0 ? 'no anchors yet' : [`  height  ${'block hash'.padEnd(64)}  ${'bitcoin txid'.padEnd(64)}  confirmations`, ...rows].join('\n');
      printResult(options, human, { anchors });
    });
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
      .action(async (options: Omit<NetworkOptions, 'member'> & { amount: string; rpc?: string; json?: boolean }) => {
        const sats = btcToSats(options.amount, '--amount');
        if (sats <= 0n) throw new ValidationError('bad-amount', 'the amount must be above zero');
        const genesis = genesisFrom(options);
        const wallet = opsWalletMultisig(sortedMultisig(genesis.members.threshold, genesis.pegKeys));
        const address = wallet.address(bitcoinNetwork(genesis.file.bitcoinNetwork));
        // The genesis alone decides where the coins go: name its chain, so a genesis of another chain shows.
        const chainId = Buffer.from(genesis.chainId).toString('hex');
        const chain = `chain ${genesis.file.network} (${chainId})`;
        if (genesis.file.bitcoinNetwork !== 'regtest') {
          printResult(options, `send ${satsToBtc(sats)} BTC from your own wallet to the operations wallet of ${chain}:\n${address}\n${wallet.descriptor}`, { chainId, address, descriptor: wallet.descriptor, amountSats: sats, txid: null });
          return;
        }
        const txid = await fund(bitcoinRpcFrom(options), address, sats);
        printResult(options, `sent ${satsToBtc(sats)} BTC to the operations wallet of ${chain}, ${address}, in ${txid} (usable for anchors once mined)`, { chainId, address, descriptor: wallet.descriptor, amountSats: sats, txid });
      }),
  );
  return anchor;
}
