import type { BlockEffects } from '../../sidechain/ledger/index.ts';
import type { BlockRecord, StoredOutput, StoredSpender } from '../../sidechain/store/chain-store.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind, type Transaction } from '../../sidechain/transaction/types.ts';
import { inputsOf, txId } from '../../sidechain/transaction/ids.ts';

/**
 * The rows a final block adds to the store: exactly the effects the ledger applied. An output
 * created and spent within the same block never reaches the store as either.
 */
export function blockRecord(
  block: { height: number; hash: Uint8Array; header: Uint8Array; commit: Uint8Array; timeMs: bigint },
  transactions: readonly Transaction[],
  effects: BlockEffects,
): BlockRecord {
  const created = new Map<string, StoredOutput>();
  const record: BlockRecord = { ...block, transactions: [], spent: [], spenders: spendersOf(transactions), created: [], mints: [], burns: [] };
  transactions.forEach((tx, index) => {
    const txid = txId(tx);
    const txEffects = effects.txs[index]!;
    record.transactions.push({ txid, kind: TxKind[tx.kind], bytes: encodeTransaction(tx) });
    // Effects list spent outputs in input order and created ones in output order, so the
    // outpoints' bytes come from the transaction itself rather than from parsing the keys.
    const inputs = inputsOf(tx);
    txEffects.spent.forEach(({ key }, input) => {
      if (!created.delete(key)) record.spent.push({ txid: inputs[input]!.txid, vout: inputs[input]!.index });
    });
    txEffects.created.forEach(({ key, utxo }, vout) => created.set(key, { txid, vout, owner: utxo.owner, asset: utxo.asset, amount: utxo.amount }));
    for (const mint of txEffects.minted) record.mints.push({ bitcoinTxid: mint.bitcoinTxid, bitcoinVout: mint.bitcoinVout, txid, amount: mint.amount });
    if (txEffects.burn) record.burns.push({ txid, destinationScript: txEffects.burn.destinationScript, amount: txEffects.burn.amount });
  });
  record.created = [...created.values()];
  return record;
}

/** Each input of each transaction, naming the output it spends. */
export function spendersOf(transactions: readonly Transaction[]): StoredSpender[] {
  return transactions.flatMap((tx) => {
    const spentBy = txId(tx);
    return inputsOf(tx).map((outpoint, input) => ({ txid: outpoint.txid, vout: outpoint.index, spentBy, input }));
  });
}
