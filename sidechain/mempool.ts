import { BTC_ASSET_KEY } from './asset.ts';
import { ValidationError } from './errors.ts';
import { toHex, txInfo, witnessTxId } from './transaction/ids.ts';
import type { Transaction, TxKindName } from './transaction/types.ts';
import { validateTransaction } from './ledger/rules.ts';
import { writePendingEffects } from './ledger/apply.ts';
import { LedgerOverlay, type AssetRecord, type LedgerReader } from './ledger/state.ts';
import type { LedgerContext, TxEffects } from './ledger/effects.ts';

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

interface Measure {
  tx: Transaction;
  id: string;
  size: number;
  inputs: number;
  outputs: number;
}

function measureOf(tx: Transaction): Measure {
  const { idHex, size, inputKeys, outputs } = txInfo(tx);
  return { tx, id: idHex, size, inputs: inputKeys.length, outputs: outputs.length };
}

/** The registry records a transfer's validation read, by asset key (hex). */
type RecordsRead = readonly (readonly [string, AssetRecord | undefined])[];

interface Entry extends Measure {
  witnessId: string;
  /** What the transaction's last validation wrote to the pool's view. */
  effects: TxEffects;
  /** For a transfer that `unaffectedTransfer` may keep: the records its last validation read. */
  records: RecordsRead | undefined;
}

/**
 * A transfer's validation reads the outputs it spends, the registry records of the securities it
 * creates (their allowlists) and, for a partial offer, the height: nothing else
 * (`validateTransaction`). Peg-outs read the pegged supply, dividends the register, issuer-signed
 * changes their asset's sequence, offers the height; those are validated again after every block.
 */
function recordsRead(view: LedgerReader, tx: Transaction, effects: TxEffects): RecordsRead | undefined {
  if (tx.kind !== 'transfer') return undefined;
  for (const witness of tx.witnesses) if (witness.expiryHeight !== undefined) return undefined;
  // A transfer pays one security, or none: an array made empty and pushed to would be given room
  // for seventeen, made at each admission and each re-validation.
  let records: [string, AssetRecord | undefined][] | undefined;
  for (const { utxo } of effects.created) {
    if (utxo.assetKey === BTC_ASSET_KEY || records?.some(([assetKey]) => assetKey === utxo.assetKey)) continue;
    const read: [string, AssetRecord | undefined] = [utxo.assetKey, view.getAsset(utxo.assetKey)];
    if (records) records.push(read);
    else records = [read];
  }
  return records ?? NO_RECORDS;
}

const NO_RECORDS: RecordsRead = [];

/**
 * Whether a pending transfer is as valid after a block as before it, without validating it again:
 * every output it spends is still unspent in the view, and every registry record it read is the
 * one the view holds. An output's key is its txid and index, which commit to its owner, asset and
 * amount, so an output unspent under the same key is the same output; records are replaced, never
 * changed, so the same object is the same record. A transfer spending an output the block spent,
 * or one a transaction dropped before it created, or paying a security whose allowlist changed, is
 * validated again, and refused if it must be.
 */
function unaffectedTransfer(entry: Entry, view: LedgerReader): boolean {
  if (entry.records === undefined) return false;
  for (const { key } of entry.effects.spent) if (!view.hasUtxo(key)) return false;
  return entry.records.every(([assetKey, record]) => view.getAsset(assetKey) === record);
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
  private readonly entries = new Map<string, Entry>();
  /** Why recently dropped transactions left, oldest first; a client that submitted one learns why it never became final. */
  private readonly dropped = new Map<string, string>();
  /** The same transactions by witness id (hex), for a member decoding a block that carries them. */
  private readonly byWitnessId = new Map<string, Transaction>();
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

  /** Whether output `key` is unspent with the pending transactions applied: one spending it is not refused for a missing input. */
  hasOutput(key: string): boolean {
    return this.view.hasUtxo(key);
  }

  /** The pending transactions in arrival order, as they are now. */
  pendingTransactions(): Transaction[] {
    return Array.from(this.entries.values(), (entry) => entry.tx);
  }

  /** The pending transaction `txid` (hex), as it was admitted. */
  transaction(txid: string): Transaction | undefined {
    return this.entries.get(txid)?.tx;
  }

  /** The pending transaction of this witness id (hex), as it was admitted. */
  withWitnessId(witnessId: string): Transaction | undefined {
    return this.byWitnessId.get(witnessId);
  }

  /** Validates `tx` in full and queues it; returns its id (hex). Throws and changes nothing if refused. */
  add(tx: Transaction): string {
    const { idHex: id, size, inputKeys, outputs } = txInfo(tx);
    if (this.entries.has(id)) throw new MempoolError('already-pending', `transaction ${id} is already pending`);
    if (FEDERATION_KINDS.has(tx.kind) && !this.options.acceptFederationKinds) {
      throw new MempoolError('not-relayable', `${tx.kind} transactions are created by the federation only`);
    }
    if (this.entries.size + 1 > this.options.maxCount || this.bytes + size > this.options.maxBytes || this.outputs + outputs.length > this.options.maxOutputs) {
      throw new MempoolError('mempool-full', `the mempool is full (${this.entries.size} transactions, ${this.bytes} bytes, ${this.outputs} outputs); retry after the next block`);
    }
    let effects: TxEffects;
    try {
      effects = validateTransaction(this.view, tx, this.context);
    } catch (error) {
      throw error instanceof ValidationError && error.code === 'double-spend' ? this.conflictOf(tx) : error;
    }
    writePendingEffects(this.view, effects);
    // One literal: a spread into a new object with properties after it leaves V8's fast path (Node
    // 20), about 4 µs an admission, and properties added to a measure made first took a store of
    // their own.
    const entry: Entry = { tx, id, size, inputs: inputKeys.length, outputs: outputs.length, witnessId: toHex(witnessTxId(tx)), effects, records: recordsRead(this.view, tx, effects) };
    this.entries.set(id, entry);
    this.byWitnessId.set(entry.witnessId, tx);
    this.bytes += size;
    this.outputs += entry.outputs;
    return id;
  }

  /**
   * The refusal of a transaction spending an output a pending one spends, naming that one: its
   * sender can wait for it to become final, or learn it was its own earlier attempt. Found only
   * when refusing, so admission keeps no index of pending spends.
   */
  private conflictOf(tx: Transaction): MempoolError {
    const key = txInfo(tx).inputKeys.find((input) => this.view.isSpent(input))!;
    const spender = [...this.entries.values()].find((entry) => entry.effects.spent.some((spent) => spent.key === key))!;
    return new MempoolError('double-spend', `input ${key} is already spent by pending transaction ${spender.id}`);
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.id);
    this.byWitnessId.delete(entry.witnessId);
    this.bytes -= entry.size;
    this.outputs -= entry.outputs;
  }

  /**
   * The longest FIFO prefix that fits within the limits beside `reserved` (the federation's own
   * transactions, which the block carries first): what the next block should carry.
   */
  select(limits: BlockLimits, reserved: readonly Transaction[] = []): Transaction[] {
    const used = { transactions: 0, bytes: 0, inputs: 0, outputs: 0 };
    const take = (entry: Measure) => {
      used.transactions += 1;
      used.bytes += entry.size;
      used.inputs += entry.inputs;
      used.outputs += entry.outputs;
    };
    for (const tx of reserved) take(measureOf(tx));
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
   * (conflicting spends, their descendants, expired offers, payments to an owner taken off an
   * allowlist, a mint of an outpoint the block minted). A transfer the block cannot have affected
   * is kept as it was validated (`unaffectedTransfer`): most of what is pending, each block.
   * Returns the ids of the dropped-as-invalid transactions.
   */
  blockApplied(included: readonly Transaction[], ledger: LedgerReader, context: LedgerContext): string[] {
    for (const tx of included) {
      const entry = this.entries.get(txInfo(tx).idHex);
      if (entry) this.remove(entry);
    }
    this.context = context;
    this.view = new LedgerOverlay(ledger);
    const evicted: string[] = [];
    // Removing the current entry while iterating a Map leaves the iteration on the next one.
    for (const entry of this.entries.values()) {
      if (!unaffectedTransfer(entry, this.view)) {
        try {
          entry.effects = validateTransaction(this.view, entry.tx, context);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          this.remove(entry);
          evicted.push(entry.id);
          this.rememberDrop(entry.id, `a block made it invalid before it was final: ${error.message}`);
          continue;
        }
        entry.records = recordsRead(this.view, entry.tx, entry.effects);
      }
      writePendingEffects(this.view, entry.effects);
    }
    return evicted;
  }
}
