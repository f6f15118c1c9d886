import type { Logger } from 'pino';
import { StrongboxError } from '../../sidechain/errors.ts';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';

interface Window {
  fields: Record<string, unknown>;
  repeats: number;
  lastReason: string;
  flush: NodeJS.Timeout;
}

/**
 * Logs the first occurrence of each kind of event at once, and the others of its interval as one
 * line with their count and the last reason when the interval ends. A peer sending garbage by the
 * thousand, or a Bitcoin node or database that is down while a member retries every second, would
 * otherwise bury everything else in the log (and cost the member its time writing it).
 */
export class IntervalLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    /** What happened, e.g. 'refused federation signatures'. */
    private readonly message: string,
    private readonly intervalMs: number,
  ) {}

  /**
   * `key` tells kinds apart (a peer, an error message); `fields` name the kind in both lines;
   * `firstOnly` goes into the first line alone (an error's stack, say).
   */
  occurred(key: string, fields: Record<string, unknown>, reason: string, firstOnly: Record<string, unknown> = {}): void {
    const open = this.windows.get(key);
    if (open) {
      open.repeats += 1;
      open.lastReason = reason;
      return;
    }
    this.log.warn({ ...fields, reason, ...firstOnly }, this.message);
    const window: Window = { fields, repeats: 0, lastReason: reason, flush: setTimeout(() => this.close(key), this.intervalMs) };
    window.flush.unref();
    this.windows.set(key, window);
  }

  /**
   * A retried step's failure, told apart by its message. A typed error says all there is to say
   * (a node or database out of reach), and so does Postgres turning the member away (its server
   * stopping, shutting down or restarting, 57P03 to every new connection of a smart shutdown):
   * the member waits for it as for any outage. Any other gets its stack in the first line, as a
   * bug would.
   */
  failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (isDatabaseUnavailable(error)) {
      const reason = `the member's database is out of reach: ${message}`;
      this.occurred(reason, {}, reason, { code: (error as { code?: string }).code });
    } else this.occurred(message, {}, message, error instanceof StrongboxError ? {} : { err: error });
  }

  /** Ends the interval of `key`; logs what it held back. */
  private close(key: string): void {
    const window = this.windows.get(key)!;
    this.windows.delete(key);
    if (window.repeats > 0) this.log.warn({ ...window.fields, repeats: window.repeats, lastReason: window.lastReason, intervalMs: this.intervalMs }, `${this.message} (more in the last interval)`);
  }

  /** Logs what is held back now, e.g. when the member stops. */
  flush(): void {
    for (const window of this.windows.values()) clearTimeout(window.flush);
    for (const key of [...this.windows.keys()]) this.close(key);
  }
}
