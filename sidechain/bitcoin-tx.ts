import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { sameBytes } from './bytes.ts';
import { TransactionError } from './transaction/errors.ts';

/**
 * A Bitcoin transaction the federation records on the sidechain before signing it (a peg-out
 * settlement, a fee bump, an anchor), as the ledger reads it.
 */
export interface RecordedBitcoinTx {
  /** RPC display order, as every Bitcoin txid in Strongbox. */
  txid: string;
  inputs: { txid: string; vout: number }[];
  outputs: { script: Uint8Array; value: bigint }[];
}

function fail(code: string, reason: string): never {
  throw new TransactionError(code, reason);
}

/**
 * Decodes a recorded Bitcoin transaction. It must be in canonical encoding without witnesses, so
 * that its txid, which the signatures cannot change, is fixed by the record.
 */
export function decodeUnsignedBitcoinTx(bytes: Uint8Array, code = 'bad-bitcoin-tx'): RecordedBitcoinTx {
  let tx: BitcoinTransaction;
  try {
    tx = BitcoinTransaction.fromBuffer(Buffer.from(bytes));
  } catch (error) {
    fail(code, `the Bitcoin transaction does not decode: ${(error as Error).message}`);
  }
  if (tx.hasWitnesses()) fail(code, 'the Bitcoin transaction must be recorded unsigned, without witnesses');
  if (!sameBytes(tx.toBuffer(), bytes)) fail(code, 'the Bitcoin transaction is not canonically encoded');
  if (tx.ins.length === 0) fail(code, 'the Bitcoin transaction spends nothing');
  const inputs = tx.ins.map((input) => ({ txid: Buffer.from(input.hash).reverse().toString('hex'), vout: input.index }));
  // Bitcoin refuses a transaction spending one output twice (bad-txns-inputs-duplicate), so a record
  // of one would never be paid, and a member summing its inputs would count that coin twice.
  const outpoints = new Set<string>();
  for (const { txid, vout } of inputs) {
    const outpoint = `${txid}:${vout}`;
    if (outpoints.has(outpoint)) fail(code, `the Bitcoin transaction spends ${outpoint} twice`);
    outpoints.add(outpoint);
  }
  return {
    txid: tx.getId(),
    inputs,
    outputs: tx.outs.map((output) => ({ script: new Uint8Array(output.script), value: output.value })),
  };
}

/** The record's txid is the recorded transaction's: what a record names is what gets signed. */
export function decodeBoundBitcoinTx(bitcoinTxid: Uint8Array, bitcoinTx: Uint8Array, code: string): RecordedBitcoinTx {
  const decoded = decodeUnsignedBitcoinTx(bitcoinTx, code);
  if (decoded.txid !== Buffer.from(bitcoinTxid).toString('hex')) fail(code, `the recorded txid does not match the Bitcoin transaction (${decoded.txid})`);
  return decoded;
}
