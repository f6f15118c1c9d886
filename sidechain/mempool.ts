import { ValidationError } from './errors.ts';
import { toHex, txInfo, witnessTxId } from './transaction/ids.ts';
import type { Transaction, TxKindName } from './transaction/types.ts';
import { validateTransaction } from './ledger/rules.ts';
import { writePendingEffects } from './ledger/apply.ts';
import { LedgerOverlay, type LedgerReader } from './ledger/state.ts';
import type { LedgerContext } from './ledger/effects.ts';

export class MempoolError extends ValidationError {}

/** Kinds only the federation creates (mints from Bitcoin deposits, anchors, settlements). */
const FEDERATION_KINDS: ReadonlySet<TxKindName> = new Set(['pegin', 'anchor', 'settlement']);

export interface MempoolOptions {
  maxCount: number;
  maxBytes: number;
  /**
   * Outputs the pending transactions create, together. Each is held decoded and in the pool's
   * overlay until a block takes it, so this, not the count, is what bounds the pool's memory:
   * 1,000 transactions of 1,000 outputs each weigh as much as 500,000 two-output transfers.
   */
  maxOutputs: number;
  /** Accept federation-only kinds; false for transactions that arrive from users. */
  acceptFederationKinds?: boolean;
}

/** What a block may hold, all together; `select` fills a block up to the first limit reached. */
export interface BlockLimits {
  transactions: number;
  bytes: number;
  /** Outputs spent: each is a signature to verify and a row to delete. */
  inputs: number;
  /** Outputs created: each is a row to insert and a record in the UTXO set. */
  outputs: number;
}

interface Entry {
  tx: Transaction;
  id: string;
  witnessId: string;
  size: number;
  inputs: number;
  outputs: number;
}

function entryOf(tx: Transaction): Entry {
  const { idHex, size, inputKeys, outputs } = txInfo(tx);
  return { tx, id: idHex, witnessId: toHex(witnessTxId(tx)), size, inputs: inputKeys.length, outputs: outputs.length };
}

/**
 * Transactions waiting for a block, kept valid against the ledger plus every earlier pending
 * transaction: the pool is itself applied to an overlay, so a second spend of a pending output
 * is refused as a double spend, and a pending output can be spent by a later transaction.
 * Order is arrival order (FIFO), which keeps parents ahead of their children and makes the
 * selection for a block deterministic.
 */
/** Transactions a block made invalid whose reason a member keeps, for clients that ask after them. */
const REMEMBERED_DROPS = 10_000;

export class Mempool {
  private entries = new Map<string, Entry>();
  /** Why recently dropped transactions left, oldest first; a client that submitted one learns why it never became final. */
  private readonly dropped = new Map<string, string>();
  /** The same transactions by witness id (hex), for a member decoding a block that carries them. */
  private byWitnessId = new Map<string, Transaction>();
  private bytes = 0;
  private outputs = 0;
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

  /** Outputs the pending transactions create. */
  get outputCount(): number {
    return this.outputs;
  }

  /** Why a transaction that was pending here left without being final, while it is remembered. */
  whyDropped(txid: string): string | undefined {
    return this.dropped.get(txid);
  }

  private rememberDrop(txid: string, reason: string): void {
    if (this.dropped.size >= REMEMBERED_DROPS) this.dropped.delete(this.dropped.keys().next().value!);
    this.dropped.set(txid, reason);
  }

  has(txid: string): boolean {
    return this.entries.has(txid);
  }

  /** The pending transaction of this witness id (hex), as it was admitted. */
  withWitnessId(witnessId: string): Transaction | undefined {
    return this.byWitnessId.get(witnessId);
  }

  /** Validates `tx` in full and queues it; returns its id (hex). Throws and changes nothing if refused. */
  add(tx: Transaction): string {
    const entry = entryOf(tx);
    if (this.entries.has(entry.id)) throw new MempoolError('already-pending', `transaction ${entry.id} is already pending`);
    if (FEDERATION_KINDS.has(tx.kind) && !this.options.acceptFederationKinds) {
      throw new MempoolError('not-relayable', `${tx.kind} transactions are created by the federation only`);
    }
    if (this.entries.size + 1 > this.options.maxCount || this.bytes + entry.size > this.options.maxBytes || this.outputs + entry.outputs > this.options.maxOutputs) {
      throw new MempoolError('mempool-full', `the mempool is full (${this.entries.size} transactions, ${this.bytes} bytes, ${this.outputs} outputs); retry after the next block`);
    }
    writePendingEffects(this.view, validateTransaction(this.view, tx, this.context));
    this.entries.set(entry.id, entry);
    this.byWitnessId.set(entry.witnessId, tx);
    this.bytes += entry.size;
    this.outputs += entry.outputs;
    return entry.id;
  }

  /**
   * The longest FIFO prefix that fits within the limits beside `reserved` (the federation's own
   * transactions, which the block carries first): what the next block should carry.
   */
  select(limits: BlockLimits, reserved: readonly Transaction[] = []): Transaction[] {
    const used = { transactions: 0, bytes: 0, inputs: 0, outputs: 0 };
    const take = (entry: Entry) => {
      used.transactions += 1;
      used.bytes += entry.size;
      used.inputs += entry.inputs;
      used.outputs += entry.outputs;
    };
    for (const tx of reserved) take(entryOf(tx));
    const chosen: Transaction[] = [];
    for (const entry of this.entries.values()) {
      if (
        used.transactions + 1 > limits.transactions ||
        used.bytes + entry.size > limits.bytes ||
        used.inputs + entry.inputs > limits.inputs ||
        used.outputs + entry.outputs > limits.outputs
      ) {
        break;
      }
      chosen.push(entry.tx);
      take(entry);
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
    this.byWitnessId = new Map();
    this.bytes = 0;
    this.outputs = 0;
    for (const entry of this.entries.values()) {
      try {
        writePendingEffects(this.view, validateTransaction(this.view, entry.tx, context));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        evicted.push(entry.id);
        this.rememberDrop(entry.id, `a block made it invalid before it was final: ${error.message}`);
        continue;
      }
      kept.set(entry.id, entry);
      this.byWitnessId.set(entry.witnessId, entry.tx);
      this.bytes += entry.size;
      this.outputs += entry.outputs;
    }
    this.entries = kept;
    return evicted;
  }
}
