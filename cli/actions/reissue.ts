import { addressPayload } from '../../sidechain/address.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { unitsFigure } from '../asset-amount.ts';
import { submitIssuerChange } from '../issuer-change.ts';
import type { NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { parseAddress, parseAmount, parseSecurity } from '../command-arguments.ts';

export async function reissue(options: NetworkOptions & { asset: string; amount: string; to?: string; file: string; json?: boolean }): Promise<void> {
  const asset = parseSecurity(options.asset);
  const amount = parseAmount(options.amount, '--amount');
  const to = options.to === undefined ? undefined : parseAddress(options.to);
  const { txid, height, view, sequence, wallet } = await submitIssuerChange(options, asset, (next, issuer) => ({ kind: 'reissuance', asset, sequence: next, amount, recipient: to === undefined ? issuer.owner : addressPayload(to) }));
  const supply = view.supply + amount;
  const recipient = to ?? wallet.address;
  printResult(options, `reissued ${unitsFigure(amount, view.decimals)} of ${view.name} (${view.isin}) to ${recipient}; supply now ${unitsFigure(supply, view.decimals)}\ntransaction ${txid} final at height ${height}`, { asset: toHex(asset), amount, to: recipient, supply, sequence, txid, height });
}
