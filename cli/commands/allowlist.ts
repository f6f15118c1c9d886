import { Command } from 'commander';
import { addressPayload } from '../../sidechain/address.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { submitIssuerChange } from '../issuer-change.ts';
import type { NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseSecurity } from '../security-arguments.ts';
import { networkOptions } from './wallet.ts';

type AllowlistOptions = NetworkOptions & { asset: string; file: string; json?: boolean };

function allowlistAction(action: 'add' | 'remove'): Command {
  return networkOptions(new Command(action))
    .description(action === 'add' ? 'admit addresses as holders of a restricted security' : 'stop addresses from receiving a restricted security (what they hold they can still sell to allowlisted holders)')
    .argument('<address...>', 'sbx addresses')
    .requiredOption('--asset <asset>', 'the asset id (hex)')
    .option('--file <file>', 'issuer wallet file', 'wallet.json')
    .addHelpText('after', `\nExample:\n  strongbox allowlist ${action} --asset 5c1f… sbx1… sbx1… --file issuer.wallet.json`)
    .action(async (addresses: string[], options: AllowlistOptions) => {
      const asset = parseSecurity(options.asset);
      const owners = addresses.map(addressPayload);
      const { txid, height, view, sequence } = await submitIssuerChange(options, asset, (next, _wallet, current) => {
        // The chain takes it, but it would change nothing anyone can see: say so instead.
        if (!current.restricted) throw new ValidationError('not-restricted', `${current.name} (${current.isin}) is not restricted: anyone may hold it, so an allowlist changes nothing (a restricted security is issued with issue --restricted)`);
        return { kind: 'registry', asset, sequence: next, action, owners };
      });
      const verb = action === 'add' ? 'added to' : 'removed from';
      printResult(options, `${addresses.length} address(es) ${verb} the allowlist of ${view.name} (${view.isin}), registry sequence ${sequence}\ntransaction ${txid} final at height ${height}`, { asset: options.asset, action, addresses, sequence, txid, height });
    });
}

export function allowlistCommand(): Command {
  return new Command('allowlist')
    .description("maintain a restricted security's allowlist of holders; signed by its issuer key (the wallet)")
    .addCommand(allowlistAction('add'))
    .addCommand(allowlistAction('remove'));
}
