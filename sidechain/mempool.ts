import { ValidationError } from './errors.ts';
import { txInfo } from './transaction/ids.ts';
import type { Transaction, TxKindName } from './transaction/types.ts';
import { validateTransaction } from './ledger/rules.ts';
import { writeEffects } from './ledger/apply.ts';
import { LedgerOverlay, type LedgerReader } from './ledger/state.ts';
import type { LedgerContext } from './ledger/effects.ts';

export class MempoolError extends ValidationError {}

/** Kinds only the federation creates (mints from Bitcoin deposits, anchors, settlements). */
const FEDERATION_KINDS: ReadonlySet<TxKindName> = new Set(['pegin', 'anchor', 'settlement']);

export interface MempoolOptions {
  maxCount: number;
  maxBytes: number;
  /** Accept federation-only kinds; false for transactions that arrive from users. */
  acceptFederationKinds?: boolean;
}

interface Entry {
  tx: Transaction;
  id: string;
  size: number;
}

/**
 * Transactions waiting for a block, kept valid against the ledger plus every earlier pending
 * transaction: the pool is itself applied to an overlay, so a second spend of a pending output
 * is refused as a double spend, and a pending output can be spent by a later transaction.
 * Order is arrival order (FIFO), which keeps parents ahead of their children and makes the
 * selection for a block deterministic.
 */
export class Mempool {
  private entries = new Map<string, Entry>();
  private bytes = 0;
  private view: LedgerOverlay;

  constructor(
    ledger: LedgerReader,
    private context: LedgerContext,
    private readonly options: MempoolOptions,
  ) {
    this.view = new LedgerOverlay(ledger);
  }

  get count(): number {
    return this.entries.size;
  }

  get size(): number {
    return this.bytes;
  }

  has(txid: string): boolean {
    return this.entries.has(txid);
  }

  /** Validates `tx` in full and queues it; returns its id (hex). Throws and changes nothing if refused. */
  add(tx: Transaction): string {
    const { idHex, size } = txInfo(tx);
    if (this.entries.has(idHex)) throw new MempoolError('already-pending', `transaction ${idHex} is already pending`);
    if (FEDERATION_KINDS.has(tx.kind) && !this.options.acceptFederationKinds) {
      throw new MempoolError('not-relayable', `${tx.kind} transactions are created by the federation only`);
    }
    if (this.entries.size + 1 > this.options.maxCount || this.bytes + size > this.options.maxBytes) {
      throw new MempoolError('mempool-full', `the mempool is full (${this.entries.size} transactions, ${this.bytes} bytes)`);
    }
    writeEffects(this.view, validateTransaction(this.view, tx, this.context));
    this.entries.set(idHex, { tx, id: idHex, size });
    this.bytes += size;
    return idHex;
  }

  /** The longest FIFO prefix within the limits: what the next block should carry. */
  select(maxCount: number, maxBytes: number): Transaction[] {
    const chosen: Transaction[] = [];
    let bytes = 0;
    for (const entry of this.entries.values()) {
      if (chosen.length >= maxCount || bytes + entry.size > maxBytes) break;
      chosen.push(entry.tx);
      bytes += entry.size;
    }
    return chosen;
  }

  /**
   * Call after a block was applied to the ledger: drops the transactions it included, then
   * re-validates the rest in order against the new state and drops those it made invalid
   * (conflicting spends, their descendants, a mint of an outpoint the block minted).
   * Returns the ids of the dropped-as-invalid transactions.
   */
  blockApplied(included: readonly Transaction[], ledger: LedgerReader, context: LedgerContext): string[] {
    for (const tx of included) this.entries.delete(txInfo(tx).idHex);
    this.context = context;
    this.view = new LedgerOverlay(ledger);
    const evicted: string[] = [];
    const kept = new Map<string, Entry>();
    this.bytes = 0;
    for (const entry of this.entries.values()) {
      try {
        writeEffects(this.view, validateTransaction(this.view, entry.tx, context));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        evicted.push(entry.id);
        continue;
      }
      kept.set(entry.id, entry);
      this.bytes += entry.size;
    }
    this.entries = kept;
    return evicted;
  }
}
