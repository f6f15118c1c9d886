import { Command } from 'commander';
import { ValidationError } from '../../sidechain/errors.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { buildPegout } from '../../federation/wallet/build-transfer.ts';
import { pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAmount } from './wallet.ts';

type StatusOptions = NetworkOptions & { wait: boolean; json?: boolean };

function withNetworkOptions(command: Command): Command {
  return command
    .option('--member <url>', 'member API URL (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

function parseTxid(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new ValidationError('bad-txid', `not a transaction id (64 lowercase hex characters): ${JSON.stringify(value)}`);
  return value;
}

function describeBurn(status: Awaited<ReturnType<ReturnType<typeof memberClientFrom>['burnStatus']>>): string {
  switch (status.status) {
    case 'pending':
      return 'burned, waiting for finality';
    case 'final':
      return `final at height ${status.height}, waiting for the federation's next peg-out batch`;
    case 'settling':
      return `final at height ${status.height}, paid by Bitcoin transaction ${status.bitcoinTxid} (being signed and broadcast)`;
    case 'in-bitcoin':
      return `final at height ${status.height}, paid by Bitcoin transaction ${status.bitcoinTxid} with ${status.confirmations} confirmation(s)`;
  }
}

export function pegoutCommand(): Command {
  const pegout = withNetworkOptions(new Command('pegout'))
    .description('burn pegged BTC for payment to a Bitcoin address (fee from the withdrawal), and follow it')
    .option('--to <bitcoin-address>', 'where the BTC is paid')
    .option('--amount <sats>', 'pegged satoshis to burn; the published fee share comes out of it')
    .option('--file <file>', 'wallet file', 'wallet.json')
    .addHelpText('after', '\nExamples:\n  strongbox pegout --to bcrt1q… --amount 250000 --file alice.wallet.json\n  strongbox pegout status <burn-txid>')
    .action(async (options: NetworkOptions & { to?: string; amount?: string; file: string; json?: boolean }) => {
      if (!options.to || !options.amount) throw new ValidationError('missing-option', 'pegout needs --to <bitcoin-address> and --amount <sats>');
      const genesis = genesisFrom(options);
      const destination = pegoutDestinationScript(options.to, bitcoinNetwork(genesis.file.bitcoinNetwork), genesis.file.bitcoinNetwork);
      const amount = parseAmount(options.amount);
      const minimum = BigInt(genesis.file.pegout.minimumSats);
      if (amount < minimum) throw new ValidationError('below-minimum', `a peg-out of ${amount} sats is below the federation's minimum of ${minimum}`);
      const wallet = readWalletFile(options.file);
      const client = memberClientFrom(options);
      const tx = buildPegout(genesis.chainId, wallet, await client.utxos(wallet.address), destination, amount);
      const txid = await client.submit(tx);
      if (!options.json) process.stderr.write(`burned in ${txid}, waiting for finality`);
      const final = await client.waitForFinal(txid, { onWait: options.json ? undefined : () => process.stderr.write('.') });
      if (!options.json) process.stderr.write('\n');
      printResult(options, `burn ${txid} final at height ${final.height}; follow it with: strongbox pegout status ${txid}`, { txid, height: final.height, amount, to: options.to });
    });
  pegout.addCommand(
    withNetworkOptions(new Command('status'))
      .description('show a burn: burned → final → in Bitcoin transaction T → N confirmations; waits for the first confirmation')
      .argument('<burn-txid>', 'the burn transaction id')
      .option('--no-wait', 'print the current state and return')
      .addHelpText('after', '\nExample:\n  strongbox pegout status 3f2a…')
      .action(async (txidArgument: string, _options: StatusOptions, command: Command) => {
        // Shared options may land on the parent `pegout` command; read both levels.
        const options = command.optsWithGlobals<StatusOptions>();
        const txid = parseTxid(txidArgument);
        const client = memberClientFrom(options);
        for (;;) {
          const status = await client.burnStatus(txid);
          if (!options.wait || (status.status === 'in-bitcoin' && (status.confirmations ?? 0) >= 1)) {
            printResult(options, `burn ${txid}: ${describeBurn(status)}`, status);
            return;
          }
          if (!options.json) process.stderr.write(`\r${describeBurn(status)}…`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }),
  );
  return pegout;
}
