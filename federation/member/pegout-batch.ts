import type { BurnRecord } from '../../sidechain/ledger/index.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { WALLET_DUST_SATS } from '../../watcher/cpfp.ts';
import type { FederationCoin } from '../../watcher/federation-psbt.ts';
import { PAYMENT_DUST_SATS, PegoutBuildError, planSettlement, type SettlementPlan } from '../../watcher/pegout-tx.ts';

export interface PayableBatch {
  /** The burns the plan pays, in the order given; empty when none can be paid now. */
  burns: BurnRecord[];
  plan: SettlementPlan | undefined;
  /** The burns left to wait, each with the reason in words. */
  waiting: Map<string, string>;
}

/**
 * The settlement paying as many of `burns` (oldest first) as Bitcoin carries now. A burn that
 * cannot be paid waits on its own instead of holding up every burn batched with it: a burn whose
 * equal share of the fee would leave less than the dust limit is left out, smallest first (the
 * share of the others grows as burns leave, so this repeats); while the coins cannot pay the
 * batch with change of 0 or above dust, the newest burns wait. Validators accept any set of
 * final, unsettled burns, so which ones a batch leaves out is the proposer's choice.
 */
export function planPayableBatch(escrow: SortedMultisig, coins: readonly FederationCoin[], burns: readonly BurnRecord[], feeRateSatPerVb: bigint): PayableBatch {
  const waiting = new Map<string, string>();
  const batch = [...burns];
  while (batch.length > 0) {
    try {
      const plan = planSettlement(escrow, coins, batch.map((burn) => ({ script: burn.destinationScript, amount: burn.amount })), feeRateSatPerVb);
      return { burns: batch, plan, waiting };
    } catch (error) {
      if (!(error instanceof PegoutBuildError)) throw error;
      if (error.code === 'below-dust') {
        const smallest = batch.reduce((index, burn, i) => (burn.amount <= batch[index]!.amount ? i : index), 0);
        const [burn] = batch.splice(smallest, 1);
        waiting.set(
          burn!.txid,
          `its share of the Bitcoin fee at ${feeRateSatPerVb} sat/vB would leave less than ${PAYMENT_DUST_SATS} sats to pay, which Bitcoin nodes do not relay: it is paid once the fee rate allows`,
        );
      } else if (error.code === 'escrow-short') {
        const total = coins.reduce((sum, coin) => sum + coin.value, 0n);
        const [burn] = batch.splice(-1, 1);
        waiting.set(
          burn!.txid,
          `the escrow coins the federation may spend now (${total} sats) cannot pay it${batch.length > 0 ? ' with the burns before it' : ''} leaving change of 0 or at least ${WALLET_DUST_SATS} sats: it is paid once the coins change (a deposit, or a Bitcoin block confirming earlier peg-outs)`,
        );
      } else throw error;
    }
  }
  return { burns: [], plan: undefined, waiting };
}
