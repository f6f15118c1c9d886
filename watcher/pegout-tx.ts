import { ValidationError } from '../sidechain/errors.ts';
import type { SortedMultisig } from './escrow.ts';
import { WALLET_DUST_SATS } from './cpfp.ts';
import { multisigTxVsize, unsignedTx, type FederationCoin } from './federation-psbt.ts';

export interface Withdrawal {
  script: Uint8Array;
  amount: bigint;
}

/** Every payment must stay above the largest standard dust limit (P2PKH's). */
export const PAYMENT_DUST_SATS = 546n;

export class PegoutBuildError extends ValidationError {}

export interface SettlementPlan {
  coins: FederationCoin[];
  bitcoinTx: Uint8Array;
  txid: string;
  feeShare: bigint;
  vsize: number;
}

/**
 * The unsigned Bitcoin transaction paying a batch of withdrawals from escrow coins, oldest first:
 * output i pays withdrawal i its amount minus one equal share of the fee (rounded up), the last
 * output returns exactly Σ inputs − Σ amounts to the escrow. So the fee comes out of the
 * withdrawals and the escrow shrinks by exactly what was burned.
 */
export function planSettlement(escrow: SortedMultisig, coins: readonly FederationCoin[], withdrawals: readonly Withdrawal[], feeRateSatPerVb: bigint): SettlementPlan {
  if (withdrawals.length === 0) throw new PegoutBuildError('no-withdrawals', 'a settlement pays at least one withdrawal');
  const owed = withdrawals.reduce((sum, w) => sum + w.amount, 0n);
  const selected: FederationCoin[] = [];
  let total = 0n;
  for (const coin of coins) {
    if (total >= owed && (total === owed || total - owed >= WALLET_DUST_SATS)) break;
    selected.push(coin);
    total += coin.value;
  }
  const change = total - owed;
  if (change < 0n || (change > 0n && change < WALLET_DUST_SATS)) {
    throw new PegoutBuildError('escrow-short', `the escrow's coins (${total} sats) cannot pay ${owed} sats with change above dust`);
  }
  const scripts = [...withdrawals.map((w) => w.script), ...(change > 0n ? [escrow.scriptPubKey] : [])];
  const { vsize, feeShare } = settlementFeeShare(escrow, selected.length, scripts, withdrawals.length, feeRateSatPerVb);
  for (const w of withdrawals) {
    if (w.amount - feeShare < PAYMENT_DUST_SATS) throw new PegoutBuildError('below-dust', `a withdrawal of ${w.amount} sats leaves less than ${PAYMENT_DUST_SATS} after its fee share of ${feeShare}`);
  }
  const payments = withdrawals.map((w) => ({ script: w.script, value: w.amount - feeShare }));
  const tx = unsignedTx(selected, [...payments, ...(change > 0n ? [{ script: escrow.scriptPubKey, value: change }] : [])]);
  return { coins: selected, bitcoinTx: tx.toBuffer(), txid: tx.getId(), feeShare, vsize };
}

/**
 * What each of `withdrawalCount` withdrawals pays of the fee of a settlement spending `inputCount`
 * escrow coins to `outputScripts` (the payments, then any change) at `feeRateSatPerVb`: one equal
 * share, rounded up so that the shares never fall short of the rate.
 */
export function settlementFeeShare(escrow: Pick<SortedMultisig, 'threshold' | 'keys'>, inputCount: number, outputScripts: readonly Uint8Array[], withdrawalCount: number, feeRateSatPerVb: bigint): { vsize: number; feeShare: bigint } {
  const vsize = multisigTxVsize(escrow, inputCount, outputScripts);
  const fee = feeRateSatPerVb * BigInt(vsize);
  const count = BigInt(withdrawalCount);
  return { vsize, feeShare: (fee + count - 1n) / count };
}

/** A stand-in for the widest destination a peg-out may pay (P2WSH and P2TR, 34 bytes): only its length counts in a settlement's size. */
const WIDEST_DESTINATION_SCRIPT = new Uint8Array(34);

/**
 * The smallest withdrawal a settlement paying it alone can pay at `feeRateSatPerVb`: spending one
 * escrow coin, paying a destination of the widest kind accepted and returning change to the
 * escrow, its fee share (the whole fee) still leaves the dust limit to pay. A burn that needs more
 * coins, or a higher rate, pays more.
 */
export function smallestLoneWithdrawal(escrow: SortedMultisig, feeRateSatPerVb: bigint): { amount: bigint; feeShare: bigint } {
  const { feeShare } = settlementFeeShare(escrow, 1, [WIDEST_DESTINATION_SCRIPT, escrow.scriptPubKey], 1, feeRateSatPerVb);
  return { amount: feeShare + PAYMENT_DUST_SATS, feeShare };
}
