import { z } from 'zod';
import { encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { issuedAssetId } from '../../sidechain/asset.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Output, Transaction } from '../../sidechain/transaction/types.ts';
import * as wire from './wire-shapes.ts';

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
  // What a reader looks for and the body holds only as its inputs: the security an issuance
  // creates, and the addresses an allowlist change names.
  if (body.kind === 'issuance') view.asset = hex(issuedAssetId(body.issuer, body.nonce));
  if (body.kind === 'registry') view.addresses = body.owners.map((owner) => encodeAddress(ownerFromPayload(owner)));
  return view;
}

const inputs = z.array(z.strictObject({ txid: wire.txid, vout: wire.uint.describe('index of the spent output in that transaction') })).describe('the outputs it spends');
const outputs = z.array(z.strictObject({ address: wire.address, asset: wire.assetId, amount: wire.baseUnits })).describe('the outputs it creates, by index');
const sequence = wire.decimalString("the asset's registry sequence this change carries: one more than the last, as a decimal string");
const bitcoinTx = wire.hexBytes('the unsigned Bitcoin transaction (no witnesses) whose id is `bitcoinTxid`, as hex');
/** One object per kind; `txid` is added to the body, the witnesses left out. */
const kind = <K extends string, S extends z.ZodRawShape>(name: K, shape: S) => z.strictObject({ kind: z.literal(name), txid: wire.txid, ...shape });

/** What describeTransaction writes on the wire, by kind. */
export const transactionViewSchema = z.discriminatedUnion('kind', [
  kind('transfer', { inputs, outputs }),
  kind('pegin', {
    bitcoinTxid: wire.bitcoinTxid.describe('the Bitcoin deposit transaction'),
    bitcoinVout: wire.uint.describe('the deposit output in it'),
    amount: wire.baseUnits.describe('pegged BTC minted: the deposit less the peg-in fee, in satoshis as a decimal string'),
    recipient: wire.address,
  }),
  kind('pegout', {
    inputs,
    outputs,
    destinationScript: wire.hexBytes('the Bitcoin output script to pay, as hex'),
    amount: wire.baseUnits.describe('pegged BTC burned, in satoshis as a decimal string'),
  }),
  kind('issuance', {
    issuer: wire.issuerKey,
    nonce: wire.decimalString("the issuer's number for this asset (the asset id hashes key and nonce), as a decimal string"),
    metadata: z.strictObject(wire.assetMetadataShape),
    supply: wire.baseUnits,
    recipient: wire.address,
    asset: wire.assetId.describe('the asset id it creates (derived from the issuer key and the nonce)'),
  }),
  kind('registry', {
    asset: wire.assetId,
    sequence,
    action: z.enum(['add', 'remove']).describe('whether the owners join or leave the allowlist'),
    owners: z.array(wire.hexBytes('owner payload (what an address encodes), 33 bytes as hex')),
    addresses: z.array(wire.address).describe('the same owners as addresses, in the same order'),
  }),
  kind('reissuance', { asset: wire.assetId, sequence, amount: wire.baseUnits, recipient: wire.address }),
  kind('dividend', { asset: wire.assetId, recordHeight: wire.height.describe('holders after this block are paid'), inputs, outputs }),
  kind('anchor', { height: wire.height.describe('the anchored block'), blockHash: wire.hex32('hash of the anchored block'), bitcoinTxid: wire.bitcoinTxid.describe('the Bitcoin transaction writing the anchor'), bitcoinTx }),
  kind('settlement', { burns: z.array(wire.txid).describe('the burns it pays, output i paying burn i'), bitcoinTxid: wire.bitcoinTxid.describe('the Bitcoin transaction paying the burns'), bitcoinTx }),
]);
