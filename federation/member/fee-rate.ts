import type { Genesis } from '../../sidechain/genesis.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

/** A proposed fee rate above this multiple of a member's own estimate is refused. */
export const MAX_FEE_RATE_MULTIPLE = 4n;

/** The fee rate this member would pay now: its node's estimate, or the genesis fallback. */
export async function currentFeeRate(rpc: BitcoinRpc, genesis: Genesis): Promise<bigint> {
  const estimate = await rpc.estimateSmartFee(2).catch(() => null);
  return estimate ?? BigInt(genesis.file.pegout.fallbackFeeRateSatPerVb);
}

/** The fee rate of one block's Bitcoin records, asked when a record first needs it. */
export type FeeRateOfBlock = () => Promise<bigint>;

/**
 * One fee rate for every record of a block being built or checked, asked of the node at most once
 * and only if a record needs it: the settlements and the anchor of one block are paid, and
 * judged, at the same moment's rate, and asking once each made the block wait for every answer in turn.
 */
export function feeRateOfBlock(rpc: BitcoinRpc, genesis: Genesis): FeeRateOfBlock {
  let asked: Promise<bigint> | undefined;
  return () => (asked ??= currentFeeRate(rpc, genesis));
}
