/** Work that falls due at a moment of the clock: the next anchor, the next peg-out batch. */
export interface DueWork {
  /** When it falls due, in milliseconds since the epoch (past once due), or undefined while nothing waits. */
  dueAtMs(): bigint | undefined;
}

/**
 * Runs a member's signing step as work falls due, not at its first periodic step after: the step's
 * own checks, unchanged, then find it due and wake consensus for it. One timer serves every kind of
 * work, aimed at the earliest due time still ahead; it is set again whenever a due time may have
 * moved (a block became final) and after each run, for the next one.
 */
export class DueStep {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly works: readonly DueWork[],
    private readonly step: () => void,
  ) {}

  arm(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const nowMs = Date.now();
    let nextMs: number | undefined;
    for (const work of this.works) {
      const dueMs = work.dueAtMs();
      if (dueMs !== undefined && Number(dueMs) > nowMs && (nextMs === undefined || Number(dueMs) < nextMs)) nextMs = Number(dueMs);
    }
    if (nextMs === undefined) return;
    const dueMs = nextMs;
    this.timer = setTimeout(() => {
      // A timer counts from the event loop's time, which lags the clock by the work the loop did
      // before it was set: it may fire before the work is due by Date.now(), and a step then would
      // find nothing due and leave it to the next periodic step.
      if (dueMs <= Date.now()) this.step();
      this.arm();
    }, dueMs - nowMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
