import { ValidationError } from '../../sidechain/errors.ts';

export interface OrphanLimits {
  /** Most transactions held. */
  count: number;
  /** Most bytes of transactions (their canonical encoding) held. */
  bytes: number;
  /** How long one is held before it is dropped as never to become valid here. */
  expiryMs: number;
}

/**
 * A full default block's transactions and bytes (DEFAULT_CHAIN_OPTIONS): what a member a few
 * blocks behind is relayed meanwhile that spends outputs of the blocks it lacks, under load. Ten
 * minutes is far longer than a linked member stays behind (it fetches the blocks it lacks as soon
 * as a peer's vote names a height ahead), and short enough that one spending an output that never
 * existed does not stay for long. One spending an output a final block spent leaves sooner: at the
 * first retry once the member knows the transaction creating it is final.
 */
export const ORPHAN_LIMITS: OrphanLimits = { count: 5_000, bytes: 4 * 1024 * 1024, expiryMs: 10 * 60_000 };

/**
 * Most txids one lookup of the store asks about (`toLookUp`): one statement of a primary-key
 * lookup each, well inside a block's worth of inputs (DEFAULT_CHAIN_OPTIONS).
 */
export const ORPHAN_LOOKUP_TXIDS = 10_000;

/** How a held transaction left: admitted to the mempool, taken by a block, refused by admission, expired, or evicted for a newer one. */
export type OrphanOutcome = 'admitted' | 'final' | 'refused' | 'expired' | 'evicted';

interface Orphan {
  bytes: Uint8Array;
  inputKeys: readonly string[];
  /**
   * The transactions creating the outputs it lacked when it came (their txids), not yet known to
   * be final here. Once none is left, every output it spends exists or was spent by a final block:
   * admission then settles it either way.
   */
  unknownCreators: Set<string>;
  /** Whether the store has been asked which of those are final already (`toLookUp`). */
  lookedUp: boolean;
  expiresMs: number;
}

/** The txid of the transaction creating output `key` (txid hex ‖ ":" ‖ index). */
const creatorOf = (key: string): string => key.slice(0, key.indexOf(':'));

/**
 * Relayed transactions refused for an input this member does not hold, because it has not applied
 * the block that creates it yet, or because a final block spent it, or because it never existed:
 * held, never relayed, until the member knows which. One is retried through the normal admission
 * once every output it spends exists or was created by a transaction known final here (by a block
 * applied since it came, or by the store when asked: `toLookUp`), and leaves admitted or refused;
 * one spending an output that never existed waits for its expiry. Arrival order is kept
 * throughout, so expiry and eviction take the oldest, and a parent is retried before a child that
 * came after it.
 */
export class OrphanTransactions {
  private readonly orphans = new Map<string, Orphan>();
  private heldBytes = 0;

  constructor(
    private readonly limits: OrphanLimits,
    private readonly left: (outcome: OrphanOutcome, count: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get count(): number {
    return this.orphans.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  has(txid: string): boolean {
    return this.orphans.has(txid);
  }

  /** The outputs held transaction `txid` spends that are not `spendable` now, as keys; undefined when it is not held. */
  waitingFor(txid: string, spendable: (key: string) => boolean): string[] | undefined {
    return this.orphans.get(txid)?.inputKeys.filter((key) => !spendable(key));
  }

  /**
   * Holds transaction `txid`, whose encoding is `bytes` and which spends `inputKeys`, those not
   * `spendable` now being the ones it lacks, evicting the oldest held to make room. False (nothing
   * held) when it is held already or larger than the whole set may hold.
   */
  keep(txid: string, bytes: Uint8Array, inputKeys: readonly string[], spendable: (key: string) => boolean): boolean {
    this.expire();
    if (this.orphans.has(txid) || bytes.length > this.limits.bytes) return false;
    let evicted = 0;
    for (const [oldest, orphan] of this.orphans) {
      if (this.orphans.size < this.limits.count && this.heldBytes + bytes.length <= this.limits.bytes) break;
      this.remove(oldest, orphan);
      evicted += 1;
    }
    if (evicted > 0) this.left('evicted', evicted);
    const unknownCreators = new Set<string>();
    for (const key of inputKeys) if (!spendable(key)) unknownCreators.add(creatorOf(key));
    this.orphans.set(txid, { bytes, inputKeys, unknownCreators, lookedUp: false, expiresMs: this.now() + this.limits.expiryMs });
    this.heldBytes += bytes.length;
    return true;
  }

  /**
   * The txids to ask the store about for those held that it has not been asked about yet: each
   * one's own (a block may have taken it, and spent all its outputs, before it came) and those of
   * the transactions creating the outputs it lacked. Whole transactions are taken, in arrival
   * order, until `max` txids are reached; they count as asked once returned. Hand the answer, the
   * txids final at or below the tip, to `retry`.
   */
  toLookUp(max: number): string[] {
    const txids = new Set<string>();
    for (const [txid, orphan] of this.orphans) {
      if (orphan.lookedUp) continue;
      if (txids.size > 0 && txids.size + 1 + orphan.unknownCreators.size > max) break;
      orphan.lookedUp = true;
      txids.add(txid);
      for (const creator of orphan.unknownCreators) txids.add(creator);
    }
    return [...txids];
  }

  /**
   * Call with the txids of transactions now known final here (those of a block just applied, once
   * the mempool is brought up to it, or those the store says are final at or below the tip): drops
   * those held that are among them (taken by a block) and those expired, then hands `admit` each
   * held transaction every input of which is `spendable` now or created by a transaction known
   * final, in arrival order, so one admitted may be the parent of the next. A refusal (a
   * ValidationError: an output a final block spent, a bad signature) drops it; any other error is
   * this member's own and goes to `failed`. Returns how many were admitted.
   */
  retry(final: Iterable<string>, spendable: (key: string) => boolean, admit: (bytes: Uint8Array) => unknown, failed: (error: unknown) => void): number {
    const known = new Set(final);
    let taken = 0;
    for (const txid of known) {
      const orphan = this.orphans.get(txid);
      if (orphan === undefined) continue;
      this.remove(txid, orphan);
      taken += 1;
    }
    if (taken > 0) this.left('final', taken);
    this.expire();
    let admitted = 0;
    let refused = 0;
    for (const [txid, orphan] of this.orphans) {
      for (const creator of orphan.unknownCreators) if (known.has(creator)) orphan.unknownCreators.delete(creator);
      if (!orphan.inputKeys.every((key) => spendable(key) || !orphan.unknownCreators.has(creatorOf(key)))) continue;
      this.remove(txid, orphan);
      try {
        admit(orphan.bytes);
        admitted += 1;
      } catch (error) {
        if (!(error instanceof ValidationError)) failed(error);
        refused += 1;
      }
    }
    if (admitted > 0) this.left('admitted', admitted);
    if (refused > 0) this.left('refused', refused);
    return admitted;
  }

  /** Drops those held past their expiry: the oldest, since all are held equally long. */
  private expire(): void {
    const now = this.now();
    let expired = 0;
    for (const [txid, orphan] of this.orphans) {
      if (orphan.expiresMs > now) break;
      this.remove(txid, orphan);
      expired += 1;
    }
    if (expired > 0) this.left('expired', expired);
  }

  private remove(txid: string, orphan: Orphan): void {
    this.orphans.delete(txid);
    this.heldBytes -= orphan.bytes.length;
  }
}
