import { addressPayload } from '../../sidechain/address.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import { unitsFigure } from '../asset-amount.ts';
import { securityLabel, securityName } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { submitIssuerChange } from '../issuer-change.ts';
import type { NetworkOptions } from '../member-url.ts';
import { finality, type SubmitOptions } from '../submit.ts';
import { printResult } from '../output.ts';
import { parseAddress, parseAmount, parseSecurity } from '../command-arguments.ts';

export async function reissue(options: NetworkOptions & SubmitOptions & { asset: string; amount: string; to?: string; file: string }): Promise<void> {
  const asset = parseSecurity(options.asset);
  const amount = parseAmount(options.amount, '--amount');
  const to = options.to === undefined ? undefined : parseAddress(options.to);
  const { view, sequence, wallet, ...submitted } = await submitIssuerChange(
    options,
    asset,
    (next, issuer, current) => {
      // The chain refuses it too, naming the id only: said here as the issuer knows the security.
      if (!current.reissuable) throw new ValidationError('not-reissuable', `${securityName(toHex(asset), current)} was issued without re-issuance: its supply is fixed`);
      return { kind: 'reissuance', asset, sequence: next, amount, recipient: to === undefined ? issuer.owner : addressPayload(to) };
    },
    { rerun: 'issues as much again' },
  );
  const supply = view.supply + amount;
  const recipient = to ?? wallet.address;
  printResult(options, `reissued ${unitsFigure(amount, view.decimals)} of ${securityLabel(view)} to ${recipient}; supply now ${unitsFigure(supply, view.decimals)}\ntransaction ${submitted.txid} ${finality(submitted)}`, { asset: toHex(asset), amount, to: recipient, supply, sequence, ...submitted });
}
