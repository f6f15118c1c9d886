import { ValidationError } from '../../sidechain/errors.ts';
import { bumpFeeRate, planWalletSpend, type ChildPlan } from '../../watcher/cpfp.ts';
import type { FederationCoin } from '../../watcher/federation-psbt.ts';
import type { FederationSigner } from './federation-signer.ts';

export interface FeeBumpOptions {
  /** How long a federation transaction may wait in this member's mempool before it proposes a bump. */
  afterMs: number;
}

export class FeeBumpRefused extends ValidationError {}

/**
 * Child pays for parent, the same for every wallet the federation spends from: a transaction
 * waiting in the mempool past the delay is bumped by a recorded child spending its change back to
 * the same wallet (and, for an anchor, carrying the next anchor's OP_RETURN). Bitcoin Core and
 * bcoin both mine a package by its combined rate, so this works on every node; the parent's txid,
 * fixed on the chain, never changes, so nothing it pays is ever paid twice.
 */
export class FeeBumper {
  constructor(
    private readonly signer: FederationSigner,
    private readonly options: FeeBumpOptions,
  ) {}

  /** In this member's mempool for at least the bump delay, not in a block. */
  isStuck(bitcoinTxid: string, now = Date.now()): boolean {
    const status = this.signer.status(bitcoinTxid);
    return status?.confirmations === 0 && status.pendingSinceMs !== undefined && now - status.pendingSinceMs >= this.options.afterMs;
  }

  /**
   * The child of `coin`'s transaction, paying for every unconfirmed ancestor at twice the rate the
   * stuck package pays (at least `estimate`, at most `maxRate`, what validators accept).
   */
  planChild(coin: FederationCoin, leading: readonly { script: Uint8Array; value: bigint }[], changeScript: Uint8Array, estimate: bigint, maxRate: bigint): ChildPlan {
    const ancestry = this.signer.unconfirmedAncestry(coin.txid);
    const stuck = { vsize: ancestry.reduce((sum, ancestor) => sum + ancestor.vsize, 0), fee: ancestry.reduce((sum, ancestor) => sum + ancestor.fee, 0n) };
    const rate = stuck.vsize > 0 ? bumpFeeRate(stuck, estimate, maxRate) : estimate;
    return planWalletSpend(this.signer.escrow, coin, leading, changeScript, rate, ancestry);
  }

  /**
   * A validator's bounds on the fee of a transaction spending `coin`: at least 1 sat/vB of its own
   * size, at most `maxRate` over it and the unconfirmed ancestors it pays for.
   */
  checkChild(coin: FederationCoin, fee: bigint, vsize: number, maxRate: bigint, where: string): void {
    const ancestry = this.signer.unconfirmedAncestry(coin.txid);
    const packageVsize = BigInt(ancestry.reduce((sum, ancestor) => sum + ancestor.vsize, vsize));
    const paidBefore = ancestry.reduce((sum, ancestor) => sum + ancestor.fee, 0n);
    if (fee < BigInt(vsize) || fee + paidBefore > packageVsize * maxRate) {
      throw new FeeBumpRefused('fee-bounds', `${where}: fee ${fee} sats for ${vsize} vB (${packageVsize} vB with its unconfirmed ancestors) is outside 1..${maxRate} sat/vB`);
    }
  }
}
