import type { AnchorBody, Transaction } from '../../sidechain/transaction/types.ts';
import { anchorScript, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import { unsignedTx } from '../../watcher/federation-psbt.ts';

/**
 * An anchor record whose unsigned Bitcoin transaction spends `spend` into the 44-byte anchor and
 * a change output: for histories that need a record but not a broadcast transaction.
 */
export function anchorRecord(chainId: Uint8Array, height: number, blockHash: Uint8Array, spend = { txid: '11'.repeat(32), vout: 0 }): Transaction & AnchorBody {
  const tx = unsignedTx([spend], [
    { script: anchorScript(encodeAnchorPayload(chainId, height, blockHash)), value: 0n },
    { script: Uint8Array.from([0x00, 0x20, ...new Uint8Array(32).fill(0x42)]), value: 10_000n },
  ]);
  return { kind: 'anchor', height, blockHash, bitcoinTxid: new Uint8Array(Buffer.from(tx.getId(), 'hex')), bitcoinTx: new Uint8Array(tx.toBuffer()), witnesses: [] };
}
