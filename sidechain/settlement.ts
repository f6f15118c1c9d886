import { decodeBoundBitcoinTx, type RecordedBitcoinTx } from './bitcoin-tx.ts';
import { TransactionError } from './transaction/errors.ts';

/**
 * Context-free shape: the recorded txid is the transaction's, and output i pays burn i, plus at
 * most one change output. A settlement naming no burns is a fee bump: it spends a stuck
 * settlement's escrow change and the operations-wallet coin that pays the fee into two outputs
 * (the change returned, the wallet's change), and the ledger accepts nothing else under that form.
 */
export function checkSettlementShape(burnCount: number, bitcoinTxid: Uint8Array, bitcoinTx: Uint8Array): RecordedBitcoinTx {
  const decoded = decodeBoundBitcoinTx(bitcoinTxid, bitcoinTx, 'bad-settlement');
  if (burnCount === 0) {
    if (decoded.inputs.length !== 2 || decoded.outputs.length !== 2) {
      throw new TransactionError('bad-settlement', `a fee bump spends two outputs into two, the transaction has ${decoded.inputs.length} inputs and ${decoded.outputs.length} outputs`);
    }
    return decoded;
  }
  if (decoded.outputs.length !== burnCount && decoded.outputs.length !== burnCount + 1) {
    throw new TransactionError('bad-settlement', `${burnCount} burns need ${burnCount} payments and at most one change output, the transaction has ${decoded.outputs.length} outputs`);
  }
  return decoded;
}
