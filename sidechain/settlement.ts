import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { TransactionError } from './transaction/errors.ts';

/** The Bitcoin transaction a settlement record commits to, as the ledger reads it. */
export interface SettlementBitcoinTx {
  /** RPC display order, as every Bitcoin txid in Strongbox. */
  txid: string;
  inputs: { txid: string; vout: number }[];
  outputs: { script: Uint8Array; value: bigint }[];
}

function fail(reason: string): never {
  throw new TransactionError('bad-settlement', reason);
}

/**
 * Decodes the unsigned peg-out transaction of a settlement. It must be in canonical encoding
 * without witnesses, so that its txid, which the signatures cannot change, is fixed by the record.
 */
export function decodeSettlementTx(bytes: Uint8Array): SettlementBitcoinTx {
  let tx: BitcoinTransaction;
  try {
    tx = BitcoinTransaction.fromBuffer(Buffer.from(bytes));
  } catch (error) {
    fail(`the Bitcoin transaction does not decode: ${(error as Error).message}`);
  }
  if (tx.hasWitnesses()) fail('the Bitcoin transaction must be recorded unsigned, without witnesses');
  if (Buffer.compare(tx.toBuffer(), Buffer.from(bytes)) !== 0) fail('the Bitcoin transaction is not canonically encoded');
  if (tx.ins.length === 0) fail('the Bitcoin transaction spends nothing');
  return {
    txid: tx.getId(),
    inputs: tx.ins.map((input) => ({ txid: Buffer.from(input.hash).reverse().toString('hex'), vout: input.index })),
    outputs: tx.outs.map((output) => ({ script: new Uint8Array(output.script), value: output.value })),
  };
}

/** Context-free shape: the recorded txid is the transaction's, and output i pays burn i, plus at most one change output. */
export function checkSettlementShape(burnCount: number, bitcoinTxid: Uint8Array, bitcoinTx: Uint8Array): SettlementBitcoinTx {
  const decoded = decodeSettlementTx(bitcoinTx);
  if (decoded.txid !== Buffer.from(bitcoinTxid).toString('hex')) fail(`the recorded txid does not match the Bitcoin transaction (${decoded.txid})`);
  if (decoded.outputs.length !== burnCount && decoded.outputs.length !== burnCount + 1) {
    fail(`${burnCount} burns need ${burnCount} payments and at most one change output, the transaction has ${decoded.outputs.length} outputs`);
  }
  return decoded;
}
