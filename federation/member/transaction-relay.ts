import { DecodeError, Reader, Writer } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';

/**
 * How long a transaction admitted from a client waits for others before they are relayed
 * together. Short next to a consensus round, long enough that a member taking hundreds of
 * transactions a second seals one peer frame for many of them instead of one each: every frame
 * costs both ends a hash and a MAC, a WebSocket message and a turn of the event loop.
 */
export const RELAY_DELAY_MS = 20;
/** A batch is sent at once when it reaches this many bytes of transactions (well inside a frame). */
export const RELAY_BATCH_BYTES = 256 * 1024;
/** Most transactions one relayed batch may hold: a block holds no more. */
export const RELAY_BATCH_TRANSACTIONS = 20_000;

/** `count varint ‖ count × (varint length ‖ transaction bytes)`, count at least one. */
export function encodeTransactionBatch(transactions: readonly Uint8Array[]): Uint8Array {
  const writer = new Writer().varint(transactions.length);
  for (const bytes of transactions) writer.varBytes(bytes);
  return writer.finish();
}

/** Throws DecodeError unless `bytes` is exactly one canonical batch of 1..RELAY_BATCH_TRANSACTIONS transactions. */
export function decodeTransactionBatch(bytes: Uint8Array): Uint8Array[] {
  const reader = new Reader(bytes, 'transaction batch');
  const count = reader.varint('count', RELAY_BATCH_TRANSACTIONS);
  if (count === 0) throw new DecodeError('transaction batch', 'no transactions');
  // A loop, not Array.from over { length }: that builtin reads the length and calls the function
  // through its generic path, which cost about as much as copying each transaction out.
  const transactions = new Array<Uint8Array>(count);
  for (let index = 0; index < count; index++) transactions[index] = reader.varBytes('transaction', bytes.length);
  reader.end();
  return transactions;
}

/** How many of a relayed batch's transactions this member admitted, and how many it refused. */
export interface RelayedBatchOutcome {
  admitted: number;
  refused: number;
}

/**
 * Admits each transaction of a relayed batch on its own, in order: one refused (already pending
 * here, or invalid) changes nothing, and the rest of the batch stands. An error other than a
 * ValidationError is this member's own fault, not the sender's: it goes to `failed`, and the
 * transaction counts as refused. The caller counts and acts once for the whole batch.
 */
export function admitRelayedBatch(batch: readonly Uint8Array[], admit: (transaction: Uint8Array) => unknown, failed: (error: unknown) => void): RelayedBatchOutcome {
  let admitted = 0;
  for (const transaction of batch) {
    try {
      admit(transaction);
      admitted += 1;
    } catch (error) {
      if (!(error instanceof ValidationError)) failed(error);
    }
  }
  return { admitted, refused: batch.length - admitted };
}

/**
 * Collects the transactions a member admitted from its own clients and hands them to `send` as
 * batches: after RELAY_DELAY_MS, or at once when RELAY_BATCH_BYTES are waiting. Relay is best
 * effort like the transport under it; a transaction missed here reaches the next proposer in a
 * block from whoever holds it, or is submitted again.
 */
export class TransactionRelay {
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly send: (batch: Uint8Array) => void) {}

  add(transaction: Uint8Array): void {
    this.waiting.push(transaction);
    this.waitingBytes += transaction.length;
    if (this.waitingBytes >= RELAY_BATCH_BYTES || this.waiting.length >= RELAY_BATCH_TRANSACTIONS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), RELAY_DELAY_MS);
  }

  /** Sends what is waiting now; nothing is sent if nothing waits. */
  flush(): void {
    const batch = this.take();
    if (batch.length > 0) this.send(encodeTransactionBatch(batch));
  }

  /** Drops what waits: the member is stopping and its transport with it. */
  close(): void {
    this.take();
  }

  /** Empties the batch and stops its timer; returns what was waiting. */
  private take(): Uint8Array[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    return batch;
  }
}
