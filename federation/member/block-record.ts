import type { BlockEffects } from '../../sidechain/ledger/index.ts';
import type { BlockRecord, StoredOutput } from '../../sidechain/store/chain-store.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { TxKind, type Transaction } from '../../sidechain/transaction/types.ts';
import { txId } from '../../sidechain/transaction/ids.ts';

function parseOutpointKey(key: string): { txid: Uint8Array; vout: number } {
  const [txid, vout] = key.split(':');
  return { txid: new Uint8Array(Buffer.from(txid!, 'hex')), vout: Number(vout) };
}

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
  const record: BlockRecord = { ...block, transactions: [], spent: [], created: [], mints: [], burns: [] };
  transactions.forEach((tx, index) => {
    const txid = txId(tx);
    const txEffects = effects.txs[index]!;
    record.transactions.push({ txid, kind: TxKind[tx.kind], bytes: encodeTransaction(tx) });
    for (const { key } of txEffects.spent) {
      if (!created.delete(key)) record.spent.push(parseOutpointKey(key));
    }
    for (const { key, utxo } of txEffects.created) created.set(key, { ...parseOutpointKey(key), owner: utxo.owner, asset: utxo.asset, amount: utxo.amount });
    for (const mint of txEffects.minted) record.mints.push({ bitcoinTxid: mint.bitcoinTxid, bitcoinVout: mint.bitcoinVout, txid, amount: mint.amount });
    if (txEffects.burn) record.burns.push({ txid, destinationScript: txEffects.burn.destinationScript, amount: txEffects.burn.amount });
  });
  record.created = [...created.values()];
  return record;
}
