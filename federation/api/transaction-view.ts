import { encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Output, Transaction } from '../../sidechain/transaction/types.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function outputView(output: Output) {
  return { address: encodeAddress(ownerFromPayload(output.owner)), asset: hex(output.asset), amount: output.amount };
}

/** A transaction as people read it: addresses instead of owner payloads, no signatures. */
export function describeTransaction(tx: Transaction): Record<string, unknown> {
  const { witnesses: _witnesses, ...body } = tx;
  const view: Record<string, unknown> = { ...body, txid: txInfo(tx).idHex };
  if ('outputs' in body) view.outputs = body.outputs.map(outputView);
  if ('inputs' in body) view.inputs = body.inputs.map((input) => ({ txid: hex(input.txid), vout: input.index }));
  if ('recipient' in body) view.recipient = encodeAddress(ownerFromPayload(body.recipient));
  return view;
}
