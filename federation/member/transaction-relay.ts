import { DecodeError, Reader, Writer } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { FRAME_OVERHEAD } from '../transport/frame.ts';
import type { PeerRateLimit } from '../transport/rate-limit.ts';

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

/** Whether a batch of `count` transactions and `bytes` bytes goes out without waiting for more. */
function batchFull(count: number, bytes: number): boolean {
  return bytes >= RELAY_BATCH_BYTES || count >= RELAY_BATCH_TRANSACTIONS;
}

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

/** How many of a relayed batch's transactions this member admitted, held as orphans, and refused. */
export interface RelayedBatchOutcome {
  admitted: number;
  orphaned: number;
  refused: number;
}

/**
 * Admits each transaction of a relayed batch on its own, in order, decoded once: one refused
 * (undecodable, already pending here, or invalid) changes nothing, and the rest of the batch
 * stands. One refused only for an input this member lacks is handed, decoded, to `orphaned`, which
 * says whether it keeps it until the block creating that input is applied here
 * (orphan-transactions.ts). An error other than a ValidationError is this member's own fault, not
 * the sender's: it goes to `failed`, and the transaction counts as refused. The caller counts and
 * acts once for the whole batch.
 */
export function admitRelayedBatch<T>(
  batch: readonly Uint8Array[],
  decode: (bytes: Uint8Array) => T,
  admit: (transaction: T) => unknown,
  failed: (error: unknown) => void,
  orphaned: (transaction: T, bytes: Uint8Array) => boolean = () => false,
): RelayedBatchOutcome {
  let admitted = 0;
  let kept = 0;
  for (const bytes of batch) {
    let transaction: T | undefined;
    try {
      transaction = decode(bytes);
      admit(transaction);
      admitted += 1;
    } catch (error) {
      if (!(error instanceof ValidationError)) failed(error);
      else if (error.code === 'missing-input' && transaction !== undefined && orphaned(transaction, bytes)) kept += 1;
    }
  }
  return { admitted, orphaned: kept, refused: batch.length - admitted - kept };
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
    if (batchFull(this.waiting.length, this.waitingBytes)) this.flush();
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

/**
 * The share of a peer's inbound budget (`peerRateLimit`) that the transactions sent when its link
 * comes up may take. The rest is for what this member sends it meanwhile: votes, proposals,
 * re-gossip and new batches, which stay far below half the budget (transport/options.ts).
 */
export const LINK_UP_BUDGET_SHARE = 0.5;

/**
 * Transactions as the relay batches them, read lazily: a batch is cut when it holds
 * RELAY_BATCH_BYTES or RELAY_BATCH_TRANSACTIONS, as the relay cuts one, so each fits in a frame.
 */
export function* relayBatches(transactions: Iterable<Uint8Array>): Generator<Uint8Array[]> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  for (const transaction of transactions) {
    batch.push(transaction);
    bytes += transaction.length;
    if (batchFull(batch.length, bytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * How long to wait after sending a peer a frame of `frameBytes` so that such frames take no more
 * than LINK_UP_BUDGET_SHARE of its frames and bytes a second under `limit`, this member's own
 * setting, which the federation's members share.
 */
export function linkUpPauseMs(frameBytes: number, limit: PeerRateLimit): number {
  return (1000 * Math.max(1 / limit.framesPerSecond, frameBytes / limit.bytesPerSecond)) / LINK_UP_BUDGET_SHARE;
}

export interface LinkUpSending {
  /** Sends one encoded batch to the peer. */
  send: (batch: Uint8Array) => void;
  /** False once the link this sending is for has closed or been replaced. */
  linked: () => boolean;
  limit: PeerRateLimit;
  /** Resolves after `ms`: the event loop runs between batches. */
  pause: (ms: number) => Promise<void>;
}

/**
 * Sends a peer whose link just came up the transactions pending here, oldest first, in relay
 * batches with a pause after each (linkUpPauseMs): the relay sent them only to the peers linked
 * when they were admitted, and a proposer that lacks them proposes blocks without them. `pending`
 * is read one batch at a time, so it can leave out what became final meanwhile. Stops when the
 * link closes. Returns how many transactions and batches were sent.
 */
export async function sendPendingOnLinkUp(pending: Iterable<Uint8Array>, sending: LinkUpSending): Promise<{ transactions: number; batches: number }> {
  let transactions = 0;
  let batches = 0;
  for (const batch of relayBatches(pending)) {
    if (!sending.linked()) break;
    const encoded = encodeTransactionBatch(batch);
    sending.send(encoded);
    transactions += batch.length;
    batches += 1;
    // The frame the peer counts: the payload's type byte, the batch and the envelope.
    await sending.pause(linkUpPauseMs(1 + encoded.length + FRAME_OVERHEAD, sending.limit));
  }
  return { transactions, batches };
}
