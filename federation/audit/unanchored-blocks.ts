import type { AuditedBlock } from './auditor.ts';

/**
 * The blocks after the last anchored height that hold anything but anchor records: what only the
 * signatures protect, and what the next anchor must cover. Anchoring that stopped (an empty
 * operations wallet, members that cannot reach Bitcoin) shows as this growing old.
 */
export interface Unanchored {
  blocks: number;
  oldestHeight: number | null;
  /** The oldest one's time, as its header gives it. */
  oldestTimeMs: bigint | null;
}

/**
 * Follows the audited blocks in order. A block of anchor records alone is left out, as members
 * leave it out when they decide whether the chain is active: otherwise every anchor would call
 * for another.
 */
export class UnanchoredBlocks {
  private anchoredHeight = 0;
  /** Blocks with other transactions, after the last anchored height, oldest first. */
  private readonly active: { height: number; timeMs: bigint }[] = [];

  add(block: Pick<AuditedBlock, 'height' | 'timeMs' | 'transactions' | 'anchors'>): void {
    for (const anchor of block.anchors) this.anchoredHeight = Math.max(this.anchoredHeight, anchor.anchoredHeight);
    const covered = this.active.findIndex((active) => active.height > this.anchoredHeight);
    this.active.splice(0, covered < 0 ? this.active.length : covered);
    if (block.transactions > block.anchors.length) this.active.push({ height: block.height, timeMs: block.timeMs });
  }

  get unanchored(): Unanchored {
    const oldest = this.active[0];
    return { blocks: this.active.length, oldestHeight: oldest?.height ?? null, oldestTimeMs: oldest?.timeMs ?? null };
  }
}
