import type { Block } from '../../sidechain/block.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import type { Anchoring } from './anchoring.ts';
import { feeRateOfBlock } from './fee-rate.ts';
import type { Pegout } from './pegout.ts';

/** What builds and checks the records of a block that write Bitcoin transactions: settlements, fee bumps, anchors. */
export interface BitcoinSide {
  rpc: BitcoinRpc;
  genesis: Genesis;
  pegout: Pegout;
  anchoring: Anchoring;
}

/**
 * The settlement or fee bump, then the anchor, a proposer adds to its block on `tip`, all paid at
 * one fee rate, asked of the node once if any of them needs it.
 */
export async function proposedBitcoinRecords(side: BitcoinSide, ledger: LedgerReader, tip: { height: number; hash: Uint8Array }): Promise<Transaction[]> {
  const feeRate = feeRateOfBlock(side.rpc, side.genesis);
  const settlements = await side.pegout.pendingSettlement(ledger, BigInt(Date.now()), feeRate);
  return [...settlements, ...(await side.anchoring.pendingAnchor(tip, BigInt(Date.now()), settlements, feeRate))];
}

/**
 * Builds, without proposing them, the settlement or fee bump and the anchor that this member
 * would ask a block for, at one fee rate as a proposer would: each member asks for a block only
 * for records it has built itself (hasPendingSettlement, hasPendingAnchor), and one that cannot be
 * built (an operations wallet that cannot pay, a bump at its fee ceiling) is held on every member
 * at once, not found by each in turn as the proposer of an empty block.
 */
export async function prepareBitcoinRecords(side: BitcoinSide, ledger: LedgerReader, tip: { height: number; hash: Uint8Array }): Promise<void> {
  const feeRate = feeRateOfBlock(side.rpc, side.genesis);
  await side.pegout.prepare(ledger, feeRate);
  await side.anchoring.prepare(tip, feeRate);
}

/**
 * This member's checks, beyond the ledger's, of the settlements, fee bumps and anchor of a block
 * proposed at `height`: every fee is judged against one fee rate, asked of the node once if any
 * record needs it.
 */
export async function verifyBitcoinRecords(side: BitcoinSide, block: Block, height: number, ledger: LedgerReader): Promise<void> {
  const feeRate = feeRateOfBlock(side.rpc, side.genesis);
  await side.pegout.verifySettlements(block.transactions, ledger, block.header.timeMs, feeRate);
  await side.anchoring.verifyAnchors(block.transactions, height, block.header.timeMs, feeRate);
}
