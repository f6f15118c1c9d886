import type { RecordedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { SettlementBody } from '../../sidechain/transaction/types.ts';
import { bumpFeeRate, planWalletSpend, type ChildPlan } from '../../watcher/cpfp.ts';
import type { FederationCoin } from '../../watcher/federation-psbt.ts';
import type { FederationSigner } from './federation-signer.ts';

export interface FeeBumpOptions {
  /** How long a federation transaction may wait in this member's mempool before it proposes a bump. */
  afterMs: number;
}

export class FeeBumpRefused extends ValidationError {}

/**
 * A peg-out fee bump spends the stuck settlement's escrow change (input 0) and an
 * operations-wallet coin that pays the fee (input 1) into the escrow change returned in full
 * (output 0) and the wallet's change (output 1): the reserves never pay for a bump.
 */
export const PEGOUT_BUMP_INPUTS = 2;
export const PEGOUT_BUMP_WALLET_INPUT = 1;

/** The input of a recorded settlement that spends an operations-wallet coin: a bump's second, else none. */
export function opsWalletInput(settlement: SettlementBody, decoded: RecordedBitcoinTx): number | undefined {
  return settlement.burns.length === 0 && decoded.inputs.length === PEGOUT_BUMP_INPUTS ? PEGOUT_BUMP_WALLET_INPUT : undefined;
}

/** The operations wallet as a peg-out fee bump needs it: a coin that pays, and a validator's check of one. */
export interface OpsWalletCoins {
  readonly scriptPubKey: Uint8Array;
  /** A wallet coin known to this member (funding found, or the change of a record), by outpoint. */
  known(outpoint: string): FederationCoin | undefined;
  /** The same, read from this member's Bitcoin node when it is not known. */
  fetch(outpoint: string): Promise<FederationCoin>;
  /** The coins as this member knows them, as a key that changes whenever they do. */
  coinsKey(): string;
  /** A confirmed coin no record spent, else the wallet's change once on this member's node. */
  coinForBump(): Promise<FederationCoin | undefined>;
  checkBumpCoin(txid: string, vout: number, where: string): Promise<FederationCoin>;
}

/**
 * Child pays for parent, the same for every wallet the federation spends from: a transaction
 * waiting in the mempool past the delay is bumped by a recorded child spending its change (for an
 * anchor, the next anchor; for a peg-out, its escrow change returned in full next to an
 * operations-wallet coin that pays). Bitcoin Core and bcoin both mine a package by its combined
 * rate, so this works on every node; the parent's txid, fixed on the chain, never changes, so
 * nothing it pays is ever paid twice.
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
   * A child spending `coins` (the stuck transaction's output first, then any that pay), paying
   * for every unconfirmed ancestor of them at twice the rate that package pays (at least
   * `estimate`, at most `maxRate`, what validators accept).
   */
  planChild(coins: readonly FederationCoin[], leading: readonly { script: Uint8Array; value: bigint }[], changeScript: Uint8Array, estimate: bigint, maxRate: bigint): ChildPlan {
    const ancestry = this.signer.unconfirmedAncestry(...coins.map((coin) => coin.txid));
    const stuck = { vsize: ancestry.reduce((sum, ancestor) => sum + ancestor.vsize, 0), fee: ancestry.reduce((sum, ancestor) => sum + ancestor.fee, 0n) };
    const rate = stuck.vsize > 0 ? bumpFeeRate(stuck, estimate, maxRate) : estimate;
    return planWalletSpend(this.signer.escrow, coins, leading, changeScript, rate, ancestry);
  }

  /**
   * A validator's bounds on the fee of a transaction spending `coins`: at least 1 sat/vB of its
   * own size, at most `maxRate` over it and the unconfirmed ancestors it pays for.
   */
  checkChild(coins: readonly FederationCoin[], fee: bigint, vsize: number, maxRate: bigint, where: string): void {
    const ancestry = this.signer.unconfirmedAncestry(...coins.map((coin) => coin.txid));
    const packageVsize = BigInt(ancestry.reduce((sum, ancestor) => sum + ancestor.vsize, vsize));
    const paidBefore = ancestry.reduce((sum, ancestor) => sum + ancestor.fee, 0n);
    if (fee < BigInt(vsize) || fee + paidBefore > packageVsize * maxRate) {
      throw new FeeBumpRefused('fee-bounds', `${where}: fee ${fee} sats for ${vsize} vB (${packageVsize} vB with its unconfirmed ancestors) is outside 1..${maxRate} sat/vB`);
    }
  }
}
