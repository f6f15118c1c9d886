import { sameBytes } from '../../sidechain/bytes.ts';
import type { DropReason } from './admission.ts';
import type { ConsensusConfig } from './config.ts';
import { hasValidSignature, type Vote } from './messages.ts';

/**
 * How many of the latest final heights a precommit arriving after the decision still counts for.
 * Peers decide without the late member, so its precommits fall behind by its delay over their
 * heights' length: at 35 heights a second, a member 100 ms further away is three or four heights late.
 */
export const LATE_PRECOMMIT_HEIGHTS = 10;

/**
 * Precommits for a block already final that arrive after the decision. A commit certificate holds
 * the first k precommits to arrive, so a member whose precommits always come after k others' is
 * missing from every certificate while it signs every height; its late precommit is the only sign
 * of that. Counting one changes nothing consensus holds: it is checked here, never given to the
 * machine, and never added to the block or its certificate.
 *
 * The work is bounded: heights older than the window cost nothing, a precommit that names another
 * block or nil, or is relayed by another peer than its signer (a member sends its own precommits;
 * regossip relays only proposals and prevotes), costs a comparison, and each peer gets at most one
 * signature verification a height, whatever it sends. Memory holds at most the window's heights.
 */
export class LatePrecommits {
  /** For each height in the window, the peers whose late precommit was verified there (or failed to verify). */
  private readonly checked = new Map<number, Set<number>>();

  constructor(private readonly config: ConsensusConfig) {}

  /**
   * Undefined when `precommit`, received from peer `from`, is a valid signature of its member over
   * the block final at its height (`finalHash`), the chain's tip being `tipHeight`; otherwise why
   * it counts for nothing, in the reasons messages are dropped for.
   */
  check(precommit: Vote, from: number, finalHash: Uint8Array, tipHeight: number): DropReason | undefined {
    const oldest = tipHeight - LATE_PRECOMMIT_HEIGHTS + 1;
    for (const height of this.checked.keys()) if (height < oldest) this.checked.delete(height);
    if (precommit.height < oldest || precommit.height > tipHeight) return 'stale-height';
    if (precommit.blockHash === null || !sameBytes(precommit.blockHash, finalHash) || from !== precommit.memberIndex) return 'stale-height';
    const key = this.config.members[precommit.memberIndex];
    if (!key) return 'unknown-member';
    const peers = this.checked.get(precommit.height) ?? new Set<number>();
    if (peers.has(from)) return 'stale-height';
    peers.add(from);
    this.checked.set(precommit.height, peers);
    return hasValidSignature(this.config.chainId, key, precommit) ? undefined : 'bad-signature';
  }
}
