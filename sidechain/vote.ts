import { taggedHash } from './hash.ts';

/** Tendermint vote steps. Values are part of the signed bytes: never renumber. */
export const VoteType = { Prevote: 1, Precommit: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

const NIL_HASH = new Uint8Array(32);

/**
 * The 32-byte message a member signs for a vote. It binds the chain, the step, the height and
 * the round, so a vote can never be replayed into another chain, height, round or step; a nil
 * vote signs 32 zero bytes in place of a block hash. A block's commit certificate is the set of
 * precommit signatures of one round, so anyone can check finality offline from the header hash,
 * the round and the member keys.
 */
export function voteSignBytes(
  chainId: Uint8Array,
  type: VoteType,
  height: number,
  round: number,
  blockHash: Uint8Array | null,
): Uint8Array {
  if (!Number.isSafeInteger(height) || height < 0) throw new RangeError(`vote height must be a non-negative integer, got ${height}`);
  if (!Number.isInteger(round) || round < 0 || round > 0xffffffff) throw new RangeError(`vote round must be a uint32, got ${round}`);
  const fields = new Uint8Array(1 + 8 + 4);
  const view = new DataView(fields.buffer);
  view.setUint8(0, type);
  view.setBigUint64(1, BigInt(height));
  view.setUint32(9, round);
  return taggedHash('Strongbox/vote', chainId, fields, blockHash ?? NIL_HASH);
}
