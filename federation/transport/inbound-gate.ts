import { TokenBucket } from './rate-limit.ts';

/**
 * What anyone who reaches a member's peer port may hold before authenticating. A connection in
 * its handshake may buffer one frame of up to the peer message limit (4 MiB) and makes the member
 * sign a welcome, so strangers get few of them: the members themselves need one each.
 */
export interface InboundLimits {
  /** Connections still in their handshake, from one address. */
  pendingPerAddress: number;
  /** Connections still in their handshake, in all. */
  pendingTotal: number;
  /** New connections a second from one address, sustained; twice as many at once. */
  connectionsPerSecondPerAddress: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = { pendingPerAddress: 8, pendingTotal: 32, connectionsPerSecondPerAddress: 5 };

export type InboundRefusal = 'inbound-pending' | 'inbound-rate';

/** Bounds the per-address rate table, which a stranger could otherwise grow one address at a time. */
const MAX_TRACKED_ADDRESSES = 10_000;

/** Admits inbound connections to their handshake within InboundLimits; pure but for the caller's clock. */
export class InboundGate {
  private readonly pending = new Map<string, number>();
  private pendingTotal = 0;
  private readonly rates = new Map<string, TokenBucket>();

  constructor(private readonly limits: InboundLimits) {}

  /** Null when the connection may start its handshake; then `settled` must follow once, when it authenticates or closes. */
  admit(address: string, nowMs: number): InboundRefusal | null {
    let rate = this.rates.get(address);
    if (!rate) {
      if (this.rates.size >= MAX_TRACKED_ADDRESSES) this.rates.clear();
      rate = new TokenBucket(this.limits.connectionsPerSecondPerAddress, 2 * this.limits.connectionsPerSecondPerAddress);
      this.rates.set(address, rate);
    }
    if (rate.tokens(nowMs) < 1) return 'inbound-rate';
    const fromAddress = this.pending.get(address) ?? 0;
    if (fromAddress >= this.limits.pendingPerAddress || this.pendingTotal >= this.limits.pendingTotal) return 'inbound-pending';
    rate.spend(1);
    this.pending.set(address, fromAddress + 1);
    this.pendingTotal += 1;
    return null;
  }

  settled(address: string): void {
    const fromAddress = this.pending.get(address) ?? 0;
    if (fromAddress <= 1) this.pending.delete(address);
    else this.pending.set(address, fromAddress - 1);
    this.pendingTotal -= 1;
  }
}
