import { Command } from 'commander';
import { addressPayload } from '../../sidechain/address.ts';
import { ConfigError } from '../../sidechain/errors.ts';
import { issuerAuthorization } from '../../federation/roles/issuer-request.ts';
import { readWalletFile } from '../../federation/wallet/wallet-file.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseHeight, parseSecurity } from '../security-arguments.ts';
import { networkOptions } from './wallet.ts';

type ViewOptions = NetworkOptions & { credential?: string; json?: boolean };

function bearer(options: ViewOptions): string {
  const token = options.credential ?? process.env.STRONGBOX_CREDENTIAL;
  if (!token) throw new ConfigError('--credential', 'registry views need an auditor or regulator credential (--credential or $STRONGBOX_CREDENTIAL)');
  return `Bearer ${token}`;
}

export function registryCommand(): Command {
  const registry = new Command('registry').description('read-only registry views for auditors, regulators and issuers');
  registry.addCommand(
    networkOptions(new Command('holders'))
      .description('holders of a security after a block: with a credential, or as its issuer (--file)')
      .requiredOption('--asset <asset>', 'the security (asset id, hex)')
      .option('--height <height>', 'the block (default: the tip)')
      .option('--credential <token>', 'auditor or regulator credential (default: $STRONGBOX_CREDENTIAL)')
      .option('--file <file>', "the issuer's wallet: sign the request with the issuer key instead")
      .addHelpText('after', '\nExamples:\n  strongbox registry holders --asset 5c1f… --height 42 --credential sbx_…\n  strongbox registry holders --asset 5c1f… --file issuer.wallet.json')
      .action(async (options: ViewOptions & { asset: string; height?: string; file?: string }) => {
        const asset = parseSecurity(options.asset);
        const height = options.height === undefined ? undefined : parseHeight(options.height, '--height');
        const authorization = options.file ? issuerAuthorization(genesisFrom(options).chainId, asset, readWalletFile(options.file).keys.seed, Date.now()) : bearer(options);
        const view = await memberClientFrom(options).holders(options.asset, authorization, height);
        const lines = view.holders.map((holder) => `  ${holder.amount}  ${holder.address}`);
        printResult(options, [`holders of ${options.asset} after block ${view.height} (${view.outstanding} outstanding):`, ...(lines.length ? lines : ['  (none)'])].join('\n'), { asset: options.asset, ...view });
      }),
  );
  registry.addCommand(
    networkOptions(new Command('history'))
      .description("every change of an address's security holdings")
      .requiredOption('--address <address>', 'the sbx address')
      .option('--credential <token>', 'auditor or regulator credential (default: $STRONGBOX_CREDENTIAL)')
      .addHelpText('after', '\nExample:\n  strongbox registry history --address sbx1… --credential sbx_…')
      .action(async (options: ViewOptions & { address: string }) => {
        addressPayload(options.address);
        const changes = await memberClientFrom(options).history(options.address, bearer(options));
        const lines = changes.map((c) => `  height ${c.height}  ${c.delta > 0n ? '+' : ''}${c.delta} → ${c.balance}  ${c.asset}  ${c.txid}`);
        printResult(options, [`history of ${options.address}:`, ...(lines.length ? lines : ['  (no security holdings ever)'])].join('\n'), { address: options.address, changes });
      }),
  );
  return registry;
}
