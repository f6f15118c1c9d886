/** Inbound budget of one peer, sustained per second; twice as much may arrive at once. */
export interface PeerRateLimit {
  framesPerSecond: number;
  bytesPerSecond: number;
}

/** Seconds of sustained traffic a peer may send at once after being quiet. */
export const BURST_SECONDS = 2;

/**
 * Tokens refill at `perSecond` up to `capacity`. Pure: the caller passes the time, so the
 * limiter is tested without a clock; a clock stepping back refills nothing.
 */
export class TokenBucket {
  private available: number;
  private lastMs: number | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
  ) {
    this.available = capacity;
  }

  tokens(nowMs: number): number {
    if (this.lastMs !== undefined && nowMs > this.lastMs) this.available = Math.min(this.capacity, this.available + ((nowMs - this.lastMs) * this.perSecond) / 1000);
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
    return this.available;
  }

  /** Call only after `tokens` showed enough. */
  spend(amount: number): void {
    this.available -= amount;
  }
}

/**
 * What one peer may still send: a frame passes only if both a frame and its bytes are in budget,
 * and takes from both. The check runs before a frame is decoded or its signature verified, so a
 * member whose key floods its peers costs each of them a counter per excess frame, not an
 * Ed25519 verification, a decode and a log line.
 */
export class PeerBudget {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(limit: PeerRateLimit) {
    this.frames = new TokenBucket(limit.framesPerSecond, limit.framesPerSecond * BURST_SECONDS);
    this.bytes = new TokenBucket(limit.bytesPerSecond, limit.bytesPerSecond * BURST_SECONDS);
  }

  admit(size: number, nowMs: number): boolean {
    if (this.frames.tokens(nowMs) < 1 || this.bytes.tokens(nowMs) < size) return false;
    this.frames.spend(1);
    this.bytes.spend(size);
    return true;
  }
}
