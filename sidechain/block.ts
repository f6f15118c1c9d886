import { Reader, Writer } from './encoding/index.ts';
import { sameBytes } from './bytes.ts';
import { ValidationError } from './errors.ts';
import { HEADER_LENGTH, decodeHeader, encodeHeader, type BlockHeader } from './block-header.ts';
import { merkleRoot } from './merkle.ts';
import { encodeTransaction } from './transaction/codec.ts';
import { transactionFromEncoding, txInfo, witnessTxId, type KnownTransactions } from './transaction/ids.ts';
import { LIMITS, type Transaction } from './transaction/types.ts';
import { plural } from './words.ts';

export const MAX_BLOCK_BYTES = 8 * 1024 * 1024;
export const MAX_BLOCK_TRANSACTIONS = 20_000;

export interface Block {
  header: BlockHeader;
  transactions: Transaction[];
}

export class BlockError extends ValidationError {
  constructor(reason: string) {
    super('bad-block', reason);
  }
}

/** Header, then the transactions as length-prefixed canonical encodings. */
export function encodeBlock(block: Block): Uint8Array {
  const writer = new Writer().bytes(encodeHeader(block.header)).varint(block.transactions.length);
  for (const tx of block.transactions) writer.varBytes(encodeTransaction(tx));
  return writer.finish();
}

/**
 * Decodes a block; a transaction `known` already holds decoded (by witness id) is taken as it is,
 * so a member checking a proposal does not decode and hash again what its mempool admitted.
 */
export function decodeBlock(bytes: Uint8Array, known?: KnownTransactions): Block {
  if (bytes.length > MAX_BLOCK_BYTES) throw new BlockError(`block of ${bytes.length} bytes exceeds ${MAX_BLOCK_BYTES}`);
  const reader = new Reader(bytes, 'block');
  const header = decodeHeader(reader.bytes(HEADER_LENGTH, 'header'));
  const count = reader.varint('transaction count', MAX_BLOCK_TRANSACTIONS);
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) transactions.push(transactionFromEncoding(reader.varBytesView(`transaction ${i}`, LIMITS.maxTxBytes), known));
  reader.end();
  return { header, transactions };
}

/** Leaves are witness ids, so a block hash commits to every signature it carries too. */
export function transactionRoot(transactions: readonly Transaction[]): Uint8Array {
  return merkleRoot(transactions.map(witnessTxId));
}

/** The parts of a block's validity that need no ledger: its shape and its link to the parent. */
export function checkBlockAgainstParent(
  block: Block,
  parent: { chainId: Uint8Array; height: number; hash: Uint8Array; timeMs: bigint; memberSetHash: Uint8Array; memberCount: number },
): void {
  const { header } = block;
  if (header.version !== 1) throw new BlockError(`unknown block version ${header.version}`);
  if (!sameBytes(header.chainId, parent.chainId)) throw new BlockError('block of another chain');
  if (header.height !== parent.height + 1) throw new BlockError(`height ${header.height} does not follow ${parent.height}`);
  if (!sameBytes(header.previousHash, parent.hash)) throw new BlockError(`block ${header.height} does not link to the block before it`);
  if (header.timeMs <= parent.timeMs) throw new BlockError(`block ${header.height} time ${header.timeMs} is not after its parent's ${parent.timeMs}`);
  if (!sameBytes(header.memberSetHash, parent.memberSetHash)) throw new BlockError(`block ${header.height} names another member set`);
  if (header.proposer >= parent.memberCount) throw new BlockError(`block ${header.height} names unknown proposer ${header.proposer}`);
  if (header.txCount !== block.transactions.length) throw new BlockError(`block ${header.height} header counts ${plural(header.txCount, 'transaction')}, body has ${block.transactions.length}`);
  if (!sameBytes(header.txRoot, transactionRoot(block.transactions))) throw new BlockError(`block ${header.height} transaction root does not match its transactions`);
  const ids = new Set(block.transactions.map((tx) => txInfo(tx).idHex));
  if (ids.size !== block.transactions.length) throw new BlockError(`block ${header.height} repeats a transaction`);
}

