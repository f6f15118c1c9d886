import type { ConsensusConfig } from './config.ts';
import { ConsensusMachine } from './machine.ts';
import { durableStateFromWal, type WalRecord } from './wal.ts';

/**
 * The machine of a member that restarts at `height` (the height after its last stored block),
 * rebuilt from its write-ahead log: it resumes the round it had reached, keeps its lock, and
 * re-sends exactly what it had signed there (a proposal only if the log holds its block), never
 * anything conflicting. Feed it `start`.
 */
export function restoreFromWal(config: ConsensusConfig, height: number, records: WalRecord[]): ConsensusMachine {
  return new ConsensusMachine(config, height, durableStateFromWal(height, records));
}
