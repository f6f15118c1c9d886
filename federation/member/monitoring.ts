import type { BitcoinStatus } from './bitcoin-node-health.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { isNodeUnavailable } from '../../watcher/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { LedgerState } from '../../sidechain/ledger/index.ts';
import type { ChainQueries } from '../../sidechain/store/chain-queries.ts';
import { monitorRoutes } from '../api/monitor-routes.ts';
import type { Route } from '../api/route.ts';
import { FinalityTimer, type PendingTransactions } from '../observability/finality-timer.ts';
import type { MemberMetrics } from '../observability/metrics.ts';
import { createStateGauges, type MemberStateSnapshot } from '../observability/state-gauges.ts';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';
import { catchUpHealth, FederationHealth } from './federation-health.ts';
import { listDeposits } from './pegin-deposits.ts';
import type { PeginStore } from './pegin-store.ts';

export interface MonitoringSources {
  genesis: Genesis;
  memberIndex: number;
  ledger: LedgerState;
  tipHeight(): number;
  queries: ChainQueries;
  peginStore: PeginStore;
  /** Whether a Bitcoin transaction is a coinbase, asked of this member's node. */
  isCoinbase(txid: string): Promise<boolean>;
  connectedPeers(): number[];
  bitcoin(): BitcoinStatus;
  /** When the last anchor record became final (null: none yet) and what the operations wallet holds. */
  anchors(): { lastRecordedMs: bigint | null; opsWalletSats: bigint };
  /** What the escrow holds by this member's final chain (minted deposits and settlement change). */
  escrowSats(): bigint;
  metrics: MemberMetrics;
}

/**
 * What a member observes about itself and the federation, for its operators: the hooks the
 * process calls (messages heard, transactions pending, blocks final), the `/federation` and
 * peg-in queue routes, and the gauges refreshed on every scrape of `/metrics`.
 */
export function createMonitoring(sources: MonitoringSources) {
  const health = new FederationHealth(
    sources.genesis.file.members.map((member) => member.name),
    sources.memberIndex,
  );
  const finality = new FinalityTimer();
  const gauges = createStateGauges(sources.metrics.registry);
  const readSigners = () => catchUpHealth(health, (from, limit) => sources.queries.blocksDown(from, limit), sources.tipHeight());
  const federation = async () => {
    await readSigners();
    return health.snapshot(sources.connectedPeers());
  };
  const deposits = () => listDeposits(sources.peginStore, sources.genesis, sources.ledger, (txid) => sources.isCoinbase(txid));

  return {
    heardFrom: (member: number) => health.heardFrom(member, Date.now()),
    /** A peer's precommit for the final block at `height` (of time `timeMs`) came after the decision. */
    signedLate: (member: number, height: number, timeMs: bigint) => health.signed(member, height, timeMs),
    transactionPending: (txid: string) => finality.pending(txid, Date.now()),
    /** A transaction a user submitted was refused: counted by its error code. */
    transactionRefused(error: unknown): void {
      if (error instanceof StrongboxError) sources.metrics.transactionsRejected.inc({ code: error.code });
    },
    /** Called with the ids of a block this member decided; observes how long each waited. */
    blockFinal(txids: readonly string[], pending: PendingTransactions): void {
      for (const seconds of finality.final(txids, Date.now(), pending)) sources.metrics.finalityLatency.observe(seconds);
    },
    routes: (): Route[] => monitorRoutes({ federation, deposits, supply: () => sources.ledger.supply() }),
    /**
     * A member whose database or Bitcoin node is away still answers its scrape, from memory, and
     * says so: a failed scrape would read as the member being down and hide its peers, height and
     * peg. Its links are the transport's, so a peer lost meanwhile shows as lost.
     */
    async refreshGauges(): Promise<void> {
      let databaseReachable = true;
      let depositList: MemberStateSnapshot['deposits'];
      try {
        await readSigners();
        depositList = await deposits();
      } catch (error) {
        if (isDatabaseUnavailable(error)) databaseReachable = false;
        // The deposit gauges keep what they last read; the node's absence is a gauge of its own.
        else if (!isNodeUnavailable(error)) throw error;
      }
      gauges.update({ federation: health.snapshot(sources.connectedPeers()), databaseReachable, deposits: depositList, supply: sources.ledger.supply(), escrowSats: sources.escrowSats(), pegoutQueue: sources.ledger.unpaidBurns(), bitcoin: sources.bitcoin(), anchors: { ...sources.anchors(), genesisMs: sources.genesis.timeMs, nowMs: BigInt(Date.now()) } });
    },
  };
}
