import { isNodeUnavailable } from '../../watcher/errors.ts';

/** Since when this member cannot ask its Bitcoin node, and why; null while the node answers. */
export interface BitcoinNodeError {
  sinceMs: number;
  reason: string;
}

/** The Bitcoin side of a member's status: how far its follower has read, and whether it can ask its node. */
export interface BitcoinStatus {
  height: number;
  mintingHalted: boolean;
  nodeError: BitcoinNodeError | null;
}

/**
 * Whether this member's Bitcoin follower can ask its node. The follower's height alone does not
 * tell: it stays where it was when the node goes away, as it does while no block is mined, so an
 * operator would see a member that cannot mint, pay out or anchor look healthy.
 */
export class BitcoinNodeHealth {
  private current: BitcoinNodeError | null = null;

  answered(): void {
    this.current = null;
  }

  /** A failed step of the follower; only a node that cannot be asked counts (a database outage is not the node's). */
  failed(error: unknown, nowMs = Date.now()): void {
    if (!isNodeUnavailable(error)) return;
    this.current = { sinceMs: this.current?.sinceMs ?? nowMs, reason: error.message };
  }

  get error(): BitcoinNodeError | null {
    return this.current;
  }
}
