import { Gauge, type Registry } from 'prom-client';
import type { PegSupply } from '../../sidechain/ledger/index.ts';
import type { MemberHealth } from '../member/federation-health.ts';
import type { BitcoinStatus } from '../member/bitcoin-node-health.ts';
import { DEPOSIT_STATES, depositTotals, type DepositView } from '../member/pegin-deposits.ts';

/** What a scrape reports beyond the counters: read once per scrape, then set on every gauge. */
export interface MemberStateSnapshot {
  /** Every member as this one knows it: its links are the transport's, which a database outage leaves live. */
  federation: MemberHealth[];
  /** Whether the member's database answered; while it does not, the signers are not read from it. */
  databaseReachable: boolean;
  /** The deposits, absent while the database or the Bitcoin node (asked which deposits are a coinbase's) cannot answer. */
  deposits?: DepositView[];
  supply: PegSupply;
  escrowSats: bigint;
  /** Final burns no settlement record has bound to a Bitcoin payment yet. */
  pegoutQueue: { count: number; sats: bigint };
  bitcoin: BitcoinStatus;
  anchors: { lastRecordedMs: bigint | null; opsWalletSats: bigint; genesisMs: bigint; nowMs: bigint };
}

/**
 * Gauges for the federation's health and the peg: peers, who signs, the peg-in queue (deposits
 * deep enough but not minted yet), the peg-out queue (burns not yet paid), and pegged supply
 * against the deposits that back it.
 */
export function createStateGauges(registry: Registry) {
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const peerConnected = gauge('strongbox_peer_connected', 'authenticated connection to a federation peer is open (1) or not (0)', ['member']);
  const peerLastSeen = gauge('strongbox_peer_last_seen_timestamp_seconds', 'when a message from a federation peer last arrived', ['member']);
  const lastSigned = gauge('strongbox_member_last_signed_height', 'last final block the member signed: its precommit is in the block\'s commit certificate or arrived after the decision; 0 when none of the recent blocks has one', ['member']);
  const deposits = gauge('strongbox_pegin_deposits', 'peg-in deposits by state; "confirmed" is the queue waiting for its mint', ['state']);
  const depositSats = gauge('strongbox_pegin_deposits_sats', 'satoshis of peg-in deposits by state', ['state']);
  const minted = gauge('strongbox_pegged_minted_sats', 'pegged BTC minted on the sidechain since genesis');
  const burned = gauge('strongbox_pegged_burned_sats', 'pegged BTC burned for peg-out since genesis');
  const outstanding = gauge('strongbox_pegged_outstanding_sats', 'pegged BTC outstanding (minted - burned); the escrow must cover it');
  const escrow = gauge('strongbox_escrow_sats', "satoshis the peg escrow holds by this member's final chain (minted deposits and settlement change); /reserves checks them on Bitcoin");
  const pegoutQueue = gauge('strongbox_pegout_queue_burns', 'final peg-out burns not yet bound to a Bitcoin payment');
  const pegoutQueueSats = gauge('strongbox_pegout_queue_sats', 'satoshis of final peg-out burns not yet bound to a Bitcoin payment');
  const bitcoinHeight = gauge('strongbox_bitcoin_height', 'tip of this member\'s Bitcoin node as its peg-in follower has reached it');
  const nodeUnreachable = gauge('strongbox_bitcoin_node_unreachable_seconds', "seconds since this member's Bitcoin node last answered its follower, while it does not (connection refused, credentials refused); 0 while it answers");
  const halted = gauge('strongbox_pegin_minting_halted', '1 after a Bitcoin reorg deeper than the confirmation depth, until an operator acts');
  const anchorAge = gauge('strongbox_anchor_age_seconds', 'seconds since the last anchor record became final (since genesis when there is none); grows on an idle chain, which is not re-anchored');
  const opsWallet = gauge('strongbox_ops_wallet_sats', 'satoshis this member knows the operations wallet holds for anchor fees');
  const databaseUnavailable = gauge('strongbox_database_unavailable', "1 while this member cannot reach its database (the signers and deposit gauges then keep their last values), 0 while it can");

  // Gauges are doubles; every satoshi amount that can exist (< 2^53) converts exactly.
  return {
    update(snapshot: MemberStateSnapshot): void {
      databaseUnavailable.set(snapshot.databaseReachable ? 0 : 1);
      for (const member of snapshot.federation) {
        const labels = { member: String(member.index) };
        // Every member has a series from the first read of the blocks, so an alert on the gap sees
        // one that never signs; before it, a 0 would page every member as not signing.
        if (snapshot.databaseReachable) lastSigned.set(labels, member.lastSigned?.height ?? 0);
        if (member.self) continue;
        peerConnected.set(labels, member.connected ? 1 : 0);
        if (member.lastSeenMs !== null) peerLastSeen.set(labels, member.lastSeenMs / 1000);
      }
      if (snapshot.deposits) {
        const totals = depositTotals(snapshot.deposits);
        for (const state of DEPOSIT_STATES) {
          deposits.set({ state }, totals[state].count);
          depositSats.set({ state }, Number(totals[state].sats));
        }
      }
      minted.set(Number(snapshot.supply.minted));
      burned.set(Number(snapshot.supply.burned));
      outstanding.set(Number(snapshot.supply.minted - snapshot.supply.burned));
      escrow.set(Number(snapshot.escrowSats));
      pegoutQueue.set(snapshot.pegoutQueue.count);
      pegoutQueueSats.set(Number(snapshot.pegoutQueue.sats));
      bitcoinHeight.set(snapshot.bitcoin.height);
      halted.set(snapshot.bitcoin.mintingHalted ? 1 : 0);
      const nodeError = snapshot.bitcoin.nodeError;
      nodeUnreachable.set(nodeError ? Math.max(0, Number(snapshot.anchors.nowMs) - nodeError.sinceMs) / 1000 : 0);
      anchorAge.set(Number(snapshot.anchors.nowMs - (snapshot.anchors.lastRecordedMs ?? snapshot.anchors.genesisMs)) / 1000);
      opsWallet.set(Number(snapshot.anchors.opsWalletSats));
    },
  };
}
