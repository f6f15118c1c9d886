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

  /** Seconds each of the block's transactions waited, for those this member saw pending. */
  final(txids: readonly string[], atMs: number, stillPending: (txid: string) => boolean): number[] {
    const waited: number[] = [];
    for (const txid of txids) {
      const start = this.entered.get(txid);
      if (start === undefined) continue;
      waited.push((atMs - start) / 1000);
      this.entered.delete(txid);
    }
    for (const txid of this.entered.keys()) if (!stillPending(txid)) this.entered.delete(txid);
    return waited;
  }

  get size(): number {
    return this.entered.size;
  }
}
