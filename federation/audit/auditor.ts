import { blockHash } from '../../sidechain/block-header.ts';
import { checkBlockAgainstParent, type Block } from '../../sidechain/block.ts';
import { BlockHashes } from '../../sidechain/block-hashes.ts';
import { decodeCommit, verifyCommit } from '../../sidechain/commit.ts';
import { StrongboxError, ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { applyBlock, LedgerState, type BlockEffects, type BurnRecord, type LedgerReader, type PegSupply, type UnpaidBurns } from '../../sidechain/ledger/index.ts';
import { toHex } from '../../sidechain/transaction/ids.ts';
import type { PeginBody } from '../../sidechain/transaction/types.ts';
import { contextFor } from '../member/chain.ts';
import { decodeServed } from '../member/decoded-blocks.ts';

/** Which part of the audit a failure belongs to. */
export type AuditCheck = 'source' | 'block' | 'finality' | 'ledger' | 'history' | 'bitcoin' | 'mint' | 'anchor' | 'settlement' | 'reserves';

/**
 * The audit found the chain, or Bitcoin, disagreeing with the rules: names the check, the first
 * failing height (none for the reserves, which are a property of the whole history) and why.
 */
export class AuditFailure extends StrongboxError {
  constructor(
    readonly check: AuditCheck,
    readonly height: number | undefined,
    readonly detail: string,
  ) {
    super('audit-failed', `audit failed${height === undefined ? '' : ` at height ${height}`}: ${check}: ${detail}`);
  }
}

/** Where a claim about Bitcoin is recorded: the block's height and the time its header gives. */
export interface ClaimedAt {
  height: number;
  timeMs: bigint;
}

/** A mint the chain holds; Bitcoin must hold the deposit it names. */
export interface MintClaim extends ClaimedAt {
  mint: PeginBody;
}

/** An anchor record: Bitcoin transaction `bitcoinTxid` must commit to `blockHash` at `anchoredHeight`. */
export interface AnchorClaim extends ClaimedAt {
  anchoredHeight: number;
  blockHash: Uint8Array;
  bitcoinTxid: string;
}

/** A settlement record: Bitcoin transaction `bitcoinTxid` must pay every one of `burns`. */
export interface SettlementClaim extends ClaimedAt {
  bitcoinTxid: string;
  burns: BurnRecord[];
}

/** One block that passed, and what it claims about Bitcoin, for the Bitcoin side to check. */
export interface AuditedBlock {
  height: number;
  hash: Uint8Array;
  /** The time its header gives. */
  timeMs: bigint;
  transactions: number;
  mints: MintClaim[];
  anchors: AnchorClaim[];
  settlements: SettlementClaim[];
}

/**
 * The pure core of the audit: fed the blocks a member serves, in order from height 1, it checks
 * each one with the very functions members use (decoding, the commit certificate against the
 * genesis member set, the link to its parent, and execution of every transaction by the ledger
 * rules) and returns what the block claims about Bitcoin. No network, no clock: the same
 * history always gives the same answer, so it runs against an API or against blocks in memory.
 */
export class ChainAuditor {
  private readonly ledger = new LedgerState();
  private readonly hashes: BlockHashes;
  private tipTimeMs: bigint;

  constructor(readonly genesis: Genesis) {
    this.hashes = new BlockHashes(genesis.chainId);
    this.tipTimeMs = genesis.timeMs;
  }

  /** Height of the last block that passed; 0 before the first. */
  get height(): number {
    return this.hashes.tipHeight;
  }

  /** Hash of the block at `height` as audited; the chain id at 0. */
  hashAt(height: number): Uint8Array | undefined {
    return this.hashes.at(height);
  }

  /** The ledger as of the last block that passed, for reading only. */
  get ledgerReader(): LedgerReader {
    return this.ledger;
  }

  /** Pegged bitcoin minted and burned so far, by the ledger's own counters. */
  get supply(): PegSupply {
    return this.ledger.supply();
  }

  /** Final burns no settlement pays yet, as of the last block that passed. */
  get unpaidBurns(): UnpaidBurns {
    return this.ledger.unpaidBurns();
  }

  /**
   * Checks the block served for the next height with its commit certificate and applies it.
   * Throws an AuditFailure naming the height on the first rule it breaks, and then changes nothing.
   */
  apply(blockBytes: Uint8Array, commitBytes: Uint8Array): AuditedBlock {
    const height = this.height + 1;
    const refuse = (check: AuditCheck, error: unknown): never => {
      if (error instanceof ValidationError) throw new AuditFailure(check, height, error.message);
      throw error;
    };
    let block: Block;
    try {
      block = decodeServed(blockBytes);
    } catch (error) {
      return refuse('block', error);
    }
    if (block.header.height !== height) {
      throw new AuditFailure('block', height, `the member served block ${block.header.height} where block ${height} belongs: a block left out, repeated or out of order`);
    }
    try {
      verifyCommit(block.header, decodeCommit(commitBytes), this.genesis);
    } catch (error) {
      return refuse('finality', error);
    }
    const parent = this.height;
    try {
      checkBlockAgainstParent(block, {
        chainId: this.genesis.chainId,
        height: parent,
        hash: this.hashes.at(parent)!,
        timeMs: this.tipTimeMs,
        memberSetHash: this.genesis.memberSetHash,
        memberCount: this.genesis.members.keys.length,
      });
    } catch (error) {
      return refuse('block', error);
    }
    let effects: BlockEffects;
    try {
      effects = applyBlock(this.ledger, block.transactions, contextFor(this.genesis, height, this.hashes));
    } catch (error) {
      return refuse('ledger', error);
    }
    const hash = blockHash(block.header);
    this.hashes.push(hash);
    this.tipTimeMs = block.header.timeMs;
    return claimsOf(height, hash, block, effects);
  }
}

function claimsOf(height: number, hash: Uint8Array, block: Block, effects: BlockEffects): AuditedBlock {
  const audited: AuditedBlock = { height, hash, timeMs: block.header.timeMs, transactions: block.transactions.length, mints: [], anchors: [], settlements: [] };
  const at: ClaimedAt = { height, timeMs: block.header.timeMs };
  block.transactions.forEach((tx, index) => {
    const txEffects = effects.txs[index]!;
    if (tx.kind === 'pegin') audited.mints.push({ ...at, mint: tx });
    if (txEffects.anchor) {
      const { anchor } = txEffects;
      audited.anchors.push({ ...at, anchoredHeight: anchor.height, blockHash: anchor.blockHash, bitcoinTxid: toHex(anchor.bitcoinTxid) });
    }
    if (tx.kind === 'settlement') audited.settlements.push({ ...at, bitcoinTxid: toHex(tx.bitcoinTxid), burns: txEffects.settled });
  });
  return audited;
}
