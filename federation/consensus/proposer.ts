/**
 * Round-robin over the genesis member order: every member computes the same proposer from the
 * height and round alone, and a proposer that fails is replaced in the next round.
 */
export function proposerIndex(height: number, round: number, memberCount: number): number {
  return (height + round) % memberCount;
}
