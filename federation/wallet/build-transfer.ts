import { ValidationError } from '../../sidechain/errors.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { Output, Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import type { Wallet } from './wallet-file.ts';

export interface SpendableOutput {
  txid: string;
  vout: number;
  asset: string;
  amount: bigint;
}

/**
 * Pays `amount` of `asset` to `recipient` from the wallet's outputs of that asset, oldest first,
 * with change back to the wallet. Exact: inputs = payment + change, to the base unit.
 */
export function buildTransfer(chainId: Uint8Array, wallet: Wallet, utxos: readonly SpendableOutput[], asset: Uint8Array, recipient: Uint8Array, amount: bigint): Transaction {
  if (amount <= 0n) throw new ValidationError('bad-amount', `amount must be positive, got ${amount}`);
  const assetHex = Buffer.from(asset).toString('hex');
  const selected: SpendableOutput[] = [];
  let total = 0n;
  for (const utxo of utxos) {
    if (utxo.asset !== assetHex) continue;
    selected.push(utxo);
    total += utxo.amount;
    if (total >= amount) break;
  }
  if (total < amount) throw new ValidationError('insufficient-funds', `the wallet holds ${total} of asset ${assetHex}, not ${amount}`);
  const outputs: Output[] = [{ owner: recipient, asset, amount }];
  if (total > amount) outputs.push({ owner: wallet.owner, asset, amount: total - amount });
  const body: TransferBody = {
    kind: 'transfer',
    inputs: selected.map((utxo) => ({ txid: new Uint8Array(Buffer.from(utxo.txid, 'hex')), index: utxo.vout })),
    outputs,
  };
  return { ...body, witnesses: selected.map((_, inputIndex) => keyWitness(chainId, body, wallet.keys.seed, { inputIndex })) };
}
