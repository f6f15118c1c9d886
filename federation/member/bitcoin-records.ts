import type { Block } from '../../sidechain/block.ts';
import type { ChainStore } from '../../sidechain/store/chain-store.ts';
import { decodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { TxKind, type Transaction } from '../../sidechain/transaction/types.ts';

/** The sidechain record that names a Bitcoin transaction the federation writes. */
export interface BitcoinRecord {
  kind: 'anchor' | 'settlement';
  /** The record's sidechain transaction id. */
  txid: string;
  /** The block holding the record. */
  height: number;
}

/**
 * Which record of the final chain names each Bitcoin transaction the federation writes: anchors,
 * and settlements (peg-out batches and their fee bumps). Every such transaction is recorded
 * before it is signed, so this finds each one the federation ever broadcast. The index is kept in
 * memory, as the anchors are: the transactions table holds no Bitcoin txid to look up by.
 */
export class BitcoinRecords {
  private readonly byBitcoinTxid = new Map<string, BitcoinRecord>();

  static async load(store: ChainStore): Promise<BitcoinRecords> {
    const records = new BitcoinRecords();
    for (const row of await store.transactionsOfKinds([TxKind.anchor, TxKind.settlement])) records.add(decodeTransaction(row.bytes), row.height);
    return records;
  }

  /** Follows the final chain; called for every block this member applies. */
  blockFinal(block: Block): void {
    for (const tx of block.transactions) this.add(tx, block.header.height);
  }

  /** The record naming Bitcoin transaction `bitcoinTxid` (hex as Bitcoin shows it). */
  find(bitcoinTxid: string): BitcoinRecord | undefined {
    return this.byBitcoinTxid.get(bitcoinTxid);
  }

  private add(tx: Transaction, height: number): void {
    if (tx.kind !== 'anchor' && tx.kind !== 'settlement') return;
    this.byBitcoinTxid.set(Buffer.from(tx.bitcoinTxid).toString('hex'), { kind: tx.kind, txid: txInfo(tx).idHex, height });
  }
}
