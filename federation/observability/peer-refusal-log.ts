import type { Logger } from 'pino';

interface Window {
  refused: number;
  lastReason: string;
  flush: NodeJS.Timeout;
}

/**
 * Logs refused peer payloads at most once per peer and interval: the first refusal when it
 * happens, the others of the interval as one line with their count and the last reason when the
 * interval ends. A member whose key sends garbage by the thousand would otherwise have its peers
 * spend their time writing log lines, and bury everything else in the log.
 */
export class PeerRefusalLog {
  private readonly windows = new Map<number, Window>();

  constructor(
    private readonly log: Logger,
    /** What was refused, e.g. 'refused federation signatures'. */
    private readonly message: string,
    private readonly intervalMs: number,
  ) {}

  refused(from: number, reason: string): void {
    const open = this.windows.get(from);
    if (open) {
      open.refused += 1;
      open.lastReason = reason;
      return;
    }
    this.log.warn({ from, reason }, this.message);
    const window: Window = { refused: 0, lastReason: reason, flush: setTimeout(() => this.close(from), this.intervalMs) };
    window.flush.unref();
    this.windows.set(from, window);
  }

  /** Ends the peer's interval; logs what it held back. */
  private close(from: number): void {
    const window = this.windows.get(from)!;
    this.windows.delete(from);
    if (window.refused > 0) this.log.warn({ from, refused: window.refused, lastReason: window.lastReason, intervalMs: this.intervalMs }, `${this.message} (more in the last interval)`);
  }

  /** Logs what is held back now, e.g. when the member stops. */
  flush(): void {
    for (const [from, window] of this.windows) {
      clearTimeout(window.flush);
      this.close(from);
    }
  }
}
