import { decodeCommit } from '../../sidechain/commit.ts';
import type { BlockRow } from '../../sidechain/store/chain-queries.ts';

/** How far back a member looks for each member's last signature when it starts. */
export const SIGNATURE_LOOKBACK_BLOCKS = 100;

export interface MemberHealth {
  index: number;
  name: string;
  /** This member itself; it has no link to itself. */
  self: boolean;
  /** An authenticated peer connection is open (always true for `self`). */
  connected: boolean;
  /** When this member last received a message from it; null if never since start. */
  lastSeenMs: number | null;
  /**
   * The last final block it signed, within the lookback: its precommit is in the block's commit
   * certificate, or reached this member after the decision (the certificate holds the first k).
   */
  lastSigned: { height: number; timeMs: bigint } | null;
}

/**
 * One member's view of the federation: which peers it hears from and which members sign the
 * final blocks. It holds no socket and no database: the process feeds it messages and blocks.
 */
export class FederationHealth {
  private readonly lastSeen: (number | null)[];
  private readonly lastSigned: ({ height: number; timeMs: bigint } | null)[];
  /** Blocks up to this height have been read. */
  scannedHeight = 0;

  constructor(
    private readonly names: readonly string[],
    private readonly self: number,
  ) {
    this.lastSeen = names.map(() => null);
    this.lastSigned = names.map(() => null);
  }

  heardFrom(member: number, atMs: number): void {
    if (member >= 0 && member < this.lastSeen.length) this.lastSeen[member] = atMs;
  }

  /** Final blocks in any order; a member's latest signature wins. */
  blocksFinal(blocks: readonly BlockRow[]): void {
    for (const block of blocks) {
      for (const { memberIndex } of decodeCommit(block.commit).signatures) this.signed(memberIndex, block.height, block.timeMs);
      this.scannedHeight = Math.max(this.scannedHeight, block.height);
    }
  }

  /** A member signed the final block at `height`: in its certificate, or by a valid precommit that arrived after the decision. */
  signed(member: number, height: number, timeMs: bigint): void {
    const previous = this.lastSigned[member];
    if (previous === undefined) return;
    if (!previous || previous.height < height) this.lastSigned[member] = { height, timeMs };
  }

  snapshot(connectedPeers: readonly number[]): MemberHealth[] {
    const connected = new Set(connectedPeers);
    return this.names.map((name, index) => ({
      index,
      name,
      self: index === this.self,
      connected: index === this.self || connected.has(index),
      lastSeenMs: this.lastSeen[index] ?? null,
      lastSigned: this.lastSigned[index] ?? null,
    }));
  }
}

/** Reads the final blocks the health view has not seen yet (at most the lookback) from the store. */
export async function catchUpHealth(health: FederationHealth, blocksDown: (from: number, limit: number) => Promise<BlockRow[]>, tipHeight: number): Promise<void> {
  const missing = Math.min(tipHeight - health.scannedHeight, SIGNATURE_LOOKBACK_BLOCKS);
  if (missing > 0) health.blocksFinal(await blocksDown(tipHeight, missing));
}
