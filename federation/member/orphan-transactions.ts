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
 * existed, or one already spent, does not stay for long.
 */
export const ORPHAN_LIMITS: OrphanLimits = { count: 5_000, bytes: 4 * 1024 * 1024, expiryMs: 10 * 60_000 };

/** How a held transaction left: admitted to the mempool, taken by a block, refused by admission, expired, or evicted for a newer one. */
export type OrphanOutcome = 'admitted' | 'final' | 'refused' | 'expired' | 'evicted';

interface Orphan {
  bytes: Uint8Array;
  inputKeys: readonly string[];
  expiresMs: number;
}

/**
 * Relayed transactions refused for an input this member does not hold, because it has not applied
 * the block that creates it yet (or because a block took the output, or it never existed: the
 * member cannot tell which): held, never relayed, until the output exists, and admitted then
 * through the normal admission. Arrival order is kept throughout, so expiry and eviction take the
 * oldest, and a parent is retried before a child that came after it.
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

  /**
   * Holds transaction `txid`, whose encoding is `bytes` and which spends `inputKeys`, evicting the
   * oldest held to make room. False (nothing held) when it is held already or larger than the
   * whole set may hold.
   */
  keep(txid: string, bytes: Uint8Array, inputKeys: readonly string[]): boolean {
    this.expire();
    if (this.orphans.has(txid) || bytes.length > this.limits.bytes) return false;
    let evicted = 0;
    for (const [oldest, orphan] of this.orphans) {
      if (this.orphans.size < this.limits.count && this.heldBytes + bytes.length <= this.limits.bytes) break;
      this.remove(oldest, orphan);
      evicted += 1;
    }
    if (evicted > 0) this.left('evicted', evicted);
    this.orphans.set(txid, { bytes, inputKeys, expiresMs: this.now() + this.limits.expiryMs });
    this.heldBytes += bytes.length;
    return true;
  }

  /**
   * Call after a block was applied and the mempool brought up to it: drops those the block took
   * (`included`, their txids) and those expired, then hands `admit` each held transaction every
   * input of which is `spendable` now, in arrival order, so one admitted may be the parent of the
   * next. A refusal (a ValidationError) drops it; any other error is this member's own and goes to
   * `failed`. Returns how many were admitted.
   */
  retry(included: Iterable<string>, spendable: (key: string) => boolean, admit: (bytes: Uint8Array) => unknown, failed: (error: unknown) => void): number {
    let final = 0;
    for (const txid of included) {
      const orphan = this.orphans.get(txid);
      if (orphan === undefined) continue;
      this.remove(txid, orphan);
      final += 1;
    }
    if (final > 0) this.left('final', final);
    this.expire();
    let admitted = 0;
    let refused = 0;
    for (const [txid, orphan] of this.orphans) {
      if (!orphan.inputKeys.every(spendable)) continue;
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
