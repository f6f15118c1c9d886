import { Command } from 'commander';
import { addressPayload } from '../../sidechain/address.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { unitsFigure } from '../asset-amount.ts';
import { submitIssuerChange } from '../issuer-change.ts';
import type { NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAddress, parseSecurity } from '../command-arguments.ts';
import { networkOptions, parseAmount } from './wallet.ts';

export function reissueCommand(): Command {
  return networkOptions(new Command('reissue'))
    .description('issue more units of a reissuable security, signed by its issuer key (the wallet)')
    .requiredOption('--asset <asset>', 'the asset id (hex)')
    .requiredOption('--amount <units>', 'units to add to the supply, in base units')
    .option('--to <address>', 'who receives them (default: the issuer wallet)')
    .option('--file <file>', 'issuer wallet file', 'wallet.json')
    .addHelpText('after', '\nExample:\n  strongbox reissue --asset 5c1f… --amount 5000 --file issuer.wallet.json')
    .action(async (options: NetworkOptions & { asset: string; amount: string; to?: string; file: string; json?: boolean }) => {
      const asset = parseSecurity(options.asset);
      const amount = parseAmount(options.amount, '--amount');
      const recipient = options.to === undefined ? undefined : addressPayload(parseAddress(options.to));
      const { txid, height, view, sequence } = await submitIssuerChange(options, asset, (next, wallet) => ({ kind: 'reissuance', asset, sequence: next, amount, recipient: recipient ?? wallet.owner }));
      const supply = view.supply + amount;
      printResult(options, `reissued ${unitsFigure(amount, view.decimals)} of ${view.name} (${view.isin}); supply now ${unitsFigure(supply, view.decimals)}\ntransaction ${txid} final at height ${height}`, { asset: toHex(asset), amount, supply, sequence, txid, height });
    });
}
