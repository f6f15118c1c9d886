import { HttpError } from './route.ts';

const WINDOW_MS = 60_000;

/**
 * Transactions one client may submit a minute, counted by transaction rather than by request:
 * the request limit alone lets a client that batches make a member verify a thousand signatures
 * a request. Refused transactions count as admitted ones do, since checking them costs the same.
 * One fixed window for every client, as express-rate-limit keeps for requests, so what it holds
 * is bounded by the clients of one minute.
 */
export class TransactionBudget {
  private used = new Map<string, number>();
  private windowEnds = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts `count` transactions against `client`, or refuses them all with 429 and changes nothing. */
  take(client: string, count: number): void {
    const now = this.now();
    if (now >= this.windowEnds) {
      this.used = new Map();
      this.windowEnds = now + WINDOW_MS;
    }
    const used = this.used.get(client) ?? 0;
    if (used + count <= this.perMinute) {
      this.used.set(client, used + count);
      return;
    }
    const seconds = Math.max(1, Math.ceil((this.windowEnds - now) / 1000));
    const reason =
      count > this.perMinute
        ? `this request submits ${count} transactions, more than the ${this.perMinute} one client may submit a minute; send fewer at a time`
        : `too many transactions from this client: at most ${this.perMinute} a minute, ${this.perMinute - used} left; retry in ${seconds} s`;
    throw new HttpError(429, 'rate-limited', reason, { 'Retry-After': String(seconds) });
  }
}
