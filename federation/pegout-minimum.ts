import { ValidationError } from '../sidechain/errors.ts';
import type { Genesis } from '../sidechain/genesis.ts';
import { sortedMultisig } from '../watcher/escrow.ts';
import { PAYMENT_DUST_SATS, smallestLoneWithdrawal } from '../watcher/pegout-tx.ts';

/**
 * The smallest peg-out minimum a new genesis may set: a burn of the minimum paid alone must cover
 * its settlement's whole Bitcoin fee at the genesis's fallback fee rate (the rate members pay when
 * their node has no estimate) and still pay more than the dust limit. Below it a lone burn is
 * final on the sidechain but waits unpaid until the fee rate falls.
 */
export function smallestPegoutMinimum(genesis: Genesis): { sats: bigint; feeShare: bigint; feeRateSatPerVb: bigint } {
  const feeRateSatPerVb = BigInt(genesis.file.pegout.fallbackFeeRateSatPerVb);
  const { amount, feeShare } = smallestLoneWithdrawal(sortedMultisig(genesis.members.threshold, genesis.pegKeys), feeRateSatPerVb);
  return { sats: amount, feeShare, feeRateSatPerVb };
}

/**
 * Refuses a genesis about to be made whose peg-out minimum is below `smallestPegoutMinimum`. Only
 * ceremonies check it: members read genesis files made before the rule, and pay what Bitcoin
 * carries of such a chain's small burns as the fee rate allows.
 */
export function checkPegoutMinimum(genesis: Genesis): void {
  const minimum = BigInt(genesis.file.pegout.minimumSats);
  const smallest = smallestPegoutMinimum(genesis);
  if (minimum >= smallest.sats) return;
  const escrow = `${genesis.members.threshold}-of-${genesis.pegKeys.length} escrow`;
  throw new ValidationError(
    'pegout-minimum-too-low',
    `a peg-out minimum of ${minimum} sats is too low: a burn paid alone bears its settlement's whole fee, ${smallest.feeShare} sats from this ${escrow} at the fallback fee rate of ${smallest.feeRateSatPerVb} sat/vB, and must keep ${PAYMENT_DUST_SATS} sats (the dust limit) to pay; the smallest acceptable minimum is ${smallest.sats} sats`,
  );
}
