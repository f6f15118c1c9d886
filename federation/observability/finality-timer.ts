/** The transactions still waiting for a block: the member's mempool. */
export interface PendingTransactions {
  readonly count: number;
  has(txid: string): boolean;
}

/**
 * Time from a transaction entering this member's mempool to its block being final. Entries of
 * transactions that leave the mempool another way (evicted, invalidated by a block) are dropped
 * at the next final block, so the map never outgrows the mempool.
 */
export class FinalityTimer {
  private readonly entered = new Map<string, number>();

  pending(txid: string, atMs: number): void {
    if (!this.entered.has(txid)) this.entered.set(txid, atMs);
  }

  /**
   * Seconds each of the block's transactions waited, for those this member saw pending. Every
   * transaction enters the mempool and this map together, so once the block's own are gone the map
   * holds more than the mempool only if some left another way: only then is each looked up, which
   * at capacity was thousands of lookups a block for nothing.
   */
  final(txids: readonly string[], atMs: number, pending: PendingTransactions): number[] {
    const waited: number[] = [];
    for (const txid of txids) {
      const start = this.entered.get(txid);
      if (start === undefined) continue;
      waited.push((atMs - start) / 1000);
      this.entered.delete(txid);
    }
    if (this.entered.size > pending.count) for (const txid of this.entered.keys()) if (!pending.has(txid)) this.entered.delete(txid);
    return waited;
  }

  get size(): number {
    return this.entered.size;
  }
}
