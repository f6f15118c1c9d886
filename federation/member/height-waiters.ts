/**
 * Callers waiting for the chain to reach a height, each until its own deadline: what lets a client
 * ask a member for a block or a transaction and be answered the moment it is final, instead of
 * asking again every few milliseconds (each question a request, a database read and, for a block
 * not final yet, a 404). Bounded: past `limit` callers at once, a new one is answered at once, as
 * if it had not asked to wait, and polls at its own pace.
 */
export class HeightWaiters {
  private readonly waiting = new Set<Waiter>();
  private closed = false;

  constructor(
    private tip: number,
    private readonly limit: number,
  ) {}

  /** Callers waiting now. */
  get count(): number {
    return this.waiting.size;
  }

  /**
   * Resolves true once the chain has reached `height` (at once if it has), false after `timeoutMs`,
   * when the waiters are closed, or at once when `limit` callers are already waiting.
   */
  reached(height: number, timeoutMs: number): Promise<boolean> {
    if (height <= this.tip) return Promise.resolve(true);
    if (this.closed || timeoutMs <= 0 || this.waiting.size >= this.limit) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        height,
        settle: (reached) => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.settle(false), timeoutMs);
      this.waiting.add(waiter);
    });
  }

  /** The chain is final up to `height` now. */
  advanced(height: number): void {
    this.tip = height;
    for (const waiter of this.waiting) if (waiter.height <= height) waiter.settle(true);
  }

  /** The member is stopping: every caller is answered now rather than holding its connection open. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting) waiter.settle(false);
  }
}

interface Waiter {
  height: number;
  settle(reached: boolean): void;
}
