import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { blockHash } from '../../sidechain/block-header.ts';
import { decodeBlock, encodeBlock, transactionRoot } from '../../sidechain/block.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';

/** How a Byzantine proposer bends the settlement of a block it proposes. */
export type Tampering = 'pay-self' | 'underpay' | 'no-change' | 'change-to-self' | 'unknown-burn';
export const TAMPERINGS: readonly Tampering[] = ['pay-self', 'underpay', 'no-change', 'change-to-self', 'unknown-burn'];

/** A P2WPKH script of the adversary's: whatever pays it is stolen. */
export const ADVERSARY_SCRIPT = new Uint8Array([0x00, 0x14, ...sha256(new TextEncoder().encode('Strongbox test adversary')).subarray(0, 20)]);

function tamperSettlement(tx: Extract<Transaction, { kind: 'settlement' }>, tampering: Tampering): Transaction {
  const bitcoin = BitcoinTransaction.fromBuffer(Buffer.from(tx.bitcoinTx));
  const payment = bitcoin.outs[0]!;
  const change = bitcoin.outs[tx.burns.length];
  let burns = tx.burns;
  if (tampering === 'pay-self') payment.script = ADVERSARY_SCRIPT;
  if (tampering === 'underpay') {
    // The user gets 5,000 sats less and the escrow keeps them: the books no longer add up.
    payment.value -= 5_000n;
    if (change) change.value += 5_000n;
  }
  if (tampering === 'no-change' && change) bitcoin.outs.splice(tx.burns.length, 1);
  if (tampering === 'change-to-self' && change) change.script = ADVERSARY_SCRIPT;
  if (tampering === 'unknown-burn') {
    // A burn that never happened, paid to the adversary instead of the real one.
    burns = [sha256(new TextEncoder().encode(`no such burn ${Buffer.from(tx.bitcoinTxid).toString('hex')}`)), ...tx.burns.slice(1)];
    payment.script = ADVERSARY_SCRIPT;
  }
  return { ...tx, burns, bitcoinTx: new Uint8Array(bitcoin.toBuffer()), bitcoinTxid: new Uint8Array(Buffer.from(bitcoin.getId(), 'hex')) };
}

/**
 * The block a proposer built with its settlement tampered and the header re-rooted, so that the
 * block is well formed and only the rules about settlements can refuse it; undefined when the
 * block holds no settlement paying burns.
 */
export function tamperProposal(bytes: Uint8Array, tampering: Tampering): { hash: Uint8Array; bytes: Uint8Array; bitcoinTxid: string } | undefined {
  const block = decodeBlock(bytes);
  const index = block.transactions.findIndex((tx) => tx.kind === 'settlement' && tx.burns.length > 0);
  if (index < 0) return undefined;
  const transactions = [...block.transactions];
  const tampered = tamperSettlement(transactions[index] as Extract<Transaction, { kind: 'settlement' }>, tampering);
  transactions[index] = tampered;
  const header = { ...block.header, txRoot: transactionRoot(transactions) };
  const bitcoinTxid = Buffer.from((tampered as Extract<Transaction, { kind: 'settlement' }>).bitcoinTxid).toString('hex');
  return { hash: blockHash(header), bytes: encodeBlock({ header, transactions }), bitcoinTxid };
}
