import { ValidationError } from '../sidechain/errors.ts';
import type { SortedMultisig } from './escrow.ts';
import { multisigTxVsize, unsignedTx, type FederationCoin } from './federation-psbt.ts';

/** An unconfirmed transaction a child pays for: its (estimated) virtual size and the fee it carries. */
export interface Ancestor {
  vsize: number;
  fee: bigint;
}

export interface ChildPlan {
  bitcoinTx: Uint8Array;
  txid: string;
  fee: bigint;
  vsize: number;
}

export class FeeBumpError extends ValidationError {}

/** Below this a P2WSH change output is dust that Bitcoin nodes refuse to relay. */
export const WALLET_DUST_SATS = 330n;

/**
 * The fee a transaction must carry so that it, together with its unconfirmed ancestors, pays
 * `feeRate`: child pays for parent. Miners take a package by its combined rate, so the child
 * makes up whatever the ancestors fall short, and never pays less than its own size at the rate.
 */
export function cpfpFee(childVsize: number, ancestors: readonly Ancestor[], feeRate: bigint): bigint {
  const own = feeRate * BigInt(childVsize);
  const packageVsize = ancestors.reduce((sum, ancestor) => sum + ancestor.vsize, childVsize);
  const paid = ancestors.reduce((sum, ancestor) => sum + ancestor.fee, 0n);
  const deficit = feeRate * BigInt(packageVsize) - paid;
  return deficit > own ? deficit : own;
}

/**
 * The rate a bump aims at: twice the rate the stuck package pays, at least the node's current
 * estimate, and never above `ceiling` (the most any member accepts). A stuck package paid too
 * little for the market; doubling reaches any plausible market within a few bumps. A package
 * already at the ceiling cannot be bumped further: that is a fee market no member's policy
 * follows, for operators to look at.
 */
export function bumpFeeRate(stuck: Ancestor, estimate: bigint, ceiling: bigint): bigint {
  const stuckRate = (stuck.fee + BigInt(stuck.vsize) - 1n) / BigInt(stuck.vsize);
  if (stuckRate >= ceiling) throw new FeeBumpError('bump-ceiling', `the stuck transactions already pay ${stuckRate} sat/vB, the most a bump may pay is ${ceiling}`);
  const rate = 2n * stuckRate > estimate ? 2n * stuckRate : estimate;
  return rate < ceiling ? rate : ceiling;
}

/**
 * Federation coins spent into `leading` outputs and change back to `changeScript`, the fee taken
 * from the change: the one shape of an anchor (one operations-wallet coin, the OP_RETURN leading)
 * and of a fee-bumping child (a peg-out's escrow change returned in full, an operations-wallet
 * coin paying). With ancestors it is a CPFP child of them.
 */
export function planWalletSpend(
  shape: Pick<SortedMultisig, 'threshold' | 'keys'>,
  coins: readonly FederationCoin[],
  leading: readonly { script: Uint8Array; value: bigint }[],
  changeScript: Uint8Array,
  feeRate: bigint,
  ancestors: readonly Ancestor[] = [],
): ChildPlan {
  const vsize = multisigTxVsize(shape, coins.length, [...leading.map((output) => output.script), changeScript]);
  const fee = cpfpFee(vsize, ancestors, feeRate);
  const change = coins.reduce((sum, coin) => sum + coin.value, 0n) - leading.reduce((sum, output) => sum + output.value, 0n) - fee;
  if (change < WALLET_DUST_SATS) {
    const paying = coins.at(-1)!;
    throw new FeeBumpError('wallet-short', `coin ${paying.txid}:${paying.vout} holds ${paying.value} sats, too little for a fee of ${fee} sats and change above dust`);
  }
  const tx = unsignedTx(coins, [...leading, { script: changeScript, value: change }]);
  return { bitcoinTx: tx.toBuffer(), txid: tx.getId(), fee, vsize };
}
