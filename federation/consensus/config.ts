import { sameBytes } from '../../sidechain/bytes.ts';
import { ConfigError } from '../../sidechain/errors.ts';
import { PUBLIC_KEY_LENGTH, SEED_LENGTH, publicKeyFromSeed } from '../../sidechain/ed25519.ts';

/** Steps of a round. The machine is in one of them, plus `commit` once it decided the height. */
export type Step = 'propose' | 'prevote' | 'precommit';

/**
 * Round timeouts grow linearly with the round, so that after the global stabilisation time some
 * round lasts long enough for every correct member to hear every other one (Tendermint's
 * liveness argument needs timeouts that eventually exceed the message delay).
 */
export interface TimeoutConfig {
  proposeMs: number;
  prevoteMs: number;
  precommitMs: number;
  /** Added to each step's timeout per round. */
  roundDeltaMs: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = { proposeMs: 1000, prevoteMs: 500, precommitMs: 500, roundDeltaMs: 250 };

export interface ConsensusConfig {
  chainId: Uint8Array;
  /** Block-signing public keys in genesis order; a member's index in it is its identity. */
  members: Uint8Array[];
  /** k: the number of matching votes that make a quorum; k > 2n/3. */
  threshold: number;
  memberIndex: number;
  /** This member's Ed25519 block-signing seed. */
  seed: Uint8Array;
  timeouts: TimeoutConfig;
  /** Largest proposal value accepted from a peer. */
  maxValueBytes: number;
}

export function timeoutMs(timeouts: TimeoutConfig, step: Step, round: number): number {
  const base = step === 'propose' ? timeouts.proposeMs : step === 'prevote' ? timeouts.prevoteMs : timeouts.precommitMs;
  return base + round * timeouts.roundDeltaMs;
}

/** Messages from n − k + 1 distinct members of a higher round include at least one correct one. */
export function skipThreshold(config: ConsensusConfig): number {
  return config.members.length - config.threshold + 1;
}

export function checkConsensusConfig(config: ConsensusConfig): void {
  const n = config.members.length;
  if (n < 1) throw new ConfigError('members', 'at least one member is required');
  // Two quorums of k overlap in 2k − n members; k > 2n/3 makes that overlap larger than the n − k
  // members that may be down, which is what lets safety and liveness hold together.
  if (!Number.isInteger(config.threshold) || 3 * config.threshold <= 2 * n || config.threshold > n) {
    throw new ConfigError('threshold', `must be an integer with 2n/3 < k <= n (n = ${n}), got ${config.threshold}`);
  }
  const seen = new Set<string>();
  for (const [index, key] of config.members.entries()) {
    if (key.length !== PUBLIC_KEY_LENGTH) throw new ConfigError(`members[${index}]`, `must be a ${PUBLIC_KEY_LENGTH}-byte Ed25519 key`);
    const hex = Buffer.from(key).toString('hex');
    if (seen.has(hex)) throw new ConfigError(`members[${index}]`, 'duplicate member key');
    seen.add(hex);
  }
  if (!Number.isInteger(config.memberIndex) || config.memberIndex < 0 || config.memberIndex >= n) {
    throw new ConfigError('memberIndex', `must be in [0, ${n}), got ${config.memberIndex}`);
  }
  if (config.seed.length !== SEED_LENGTH) throw new ConfigError('seed', `must be ${SEED_LENGTH} bytes`);
  const own = Buffer.from(publicKeyFromSeed(config.seed));
  if (!sameBytes(own, config.members[config.memberIndex]!)) throw new ConfigError('seed', `is not the key of member ${config.memberIndex}`);
  for (const [field, value] of Object.entries(config.timeouts)) {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`timeouts.${field}`, 'must be a non-negative integer');
  }
  if (!Number.isInteger(config.maxValueBytes) || config.maxValueBytes < 1) throw new ConfigError('maxValueBytes', 'must be a positive integer');
}
