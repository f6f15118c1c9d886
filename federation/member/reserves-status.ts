import type { LedgerState } from '../../sidechain/ledger/index.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { coinMultisig } from '../../watcher/federation-psbt.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { lookUpReserves } from '../audit/bitcoin-checks.ts';
import { assessReserves } from '../audit/bitcoin-rules.ts';
import type { EscrowCoins } from './escrow-coins.ts';

/** Answers are reused this long, so a busy page or a scraper does not flood the node with lookups. */
const CACHE_MS = 15_000;

export interface ReservesStatus {
  scope: string;
  checkedAt: string;
  height: number;
  result: 'reserves cover the pegged supply' | 'RESERVES SHORT';
  escrowSats: bigint;
  escrowOutputs: number;
  missingOutputs: number;
  outstandingSats: bigint;
  /** Final burns not paid yet, owed out of the escrow beside the pegged supply outstanding. */
  unpaidBurns: number;
  unpaidBurnSats: bigint;
  oldestUnpaidBurnHeight: number | null;
  problem?: string;
}

/**
 * This member's own proof of reserves, for its operators and the explorer: the escrow outputs its
 * final chain says exist (minted deposits, settlement change), looked up in its own Bitcoin node
 * (mempool included, so a settlement on its way does not read as a shortfall), against the pegged
 * supply outstanding and the final burns not paid yet. The same rule as `strongbox audit`, which trusts no member.
 */
export class ReservesStatusCheck {
  private cached: { atMs: number; height: number; status: Promise<ReservesStatus> } | undefined;

  constructor(
    private readonly rpc: BitcoinRpc,
    private readonly escrow: SortedMultisig,
    private readonly coins: EscrowCoins,
    private readonly ledger: LedgerState,
    private readonly tipHeight: () => number,
  ) {}

  status(nowMs = Date.now()): Promise<ReservesStatus> {
    const height = this.tipHeight();
    if (this.cached && this.cached.height === height && nowMs - this.cached.atMs < CACHE_MS) return this.cached.status;
    const status = this.check(height, nowMs);
    this.cached = { atMs: nowMs, height, status };
    status.catch(() => {
      if (this.cached?.status === status) this.cached = undefined;
    });
    return status;
  }

  private async check(height: number, nowMs: number): Promise<ReservesStatus> {
    const supply = this.ledger.supply();
    const liabilities = { outstandingSats: supply.minted - supply.burned, unpaidBurns: this.ledger.unpaidBurns() };
    const entries = this.coins.list().map((coin) => [`${coin.txid}:${coin.vout}`, coinMultisig(this.escrow, coin).scriptPubKey] as const);
    const outputs = await lookUpReserves(this.rpc, entries, { includeMempool: true });
    const { reserves, shortfall } = assessReserves(outputs, liabilities);
    return {
      scope: "this member's final chain against its own Bitcoin node; the command strongbox audit checks everything from genesis, trusting no member",
      checkedAt: new Date(nowMs).toISOString(),
      height,
      result: shortfall === null ? 'reserves cover the pegged supply' : 'RESERVES SHORT',
      escrowSats: reserves.escrowSats,
      escrowOutputs: reserves.unspentOutputs,
      missingOutputs: reserves.spentOutputs,
      outstandingSats: liabilities.outstandingSats,
      unpaidBurns: liabilities.unpaidBurns.count,
      unpaidBurnSats: liabilities.unpaidBurns.sats,
      oldestUnpaidBurnHeight: liabilities.unpaidBurns.oldestHeight,
      ...(shortfall === null ? {} : { problem: shortfall }),
    };
  }
}
