import type { Genesis } from '../../sidechain/genesis.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

/** A proposed fee rate above this multiple of a member's own estimate is refused. */
export const MAX_FEE_RATE_MULTIPLE = 4n;

/** The fee rate this member would pay now: its node's estimate, or the genesis fallback. */
export async function currentFeeRate(rpc: BitcoinRpc, genesis: Genesis): Promise<bigint> {
  const estimate = await rpc.estimateSmartFee(2).catch(() => null);
  return estimate ?? BigInt(genesis.file.pegout.fallbackFeeRateSatPerVb);
}
