import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { signatureWork } from '../../sidechain/ed25519.ts';
import { DROP_REASONS as CONSENSUS_DROP_REASONS } from '../consensus/admission.ts';
import { DROP_REASONS as TRANSPORT_DROP_REASONS } from '../transport/stats.ts';
import type { OrphanOutcome } from '../member/orphan-transactions.ts';

/** Every reason a peer message is refused for: the transport's, consensus's and the member's own checks of a payload. */
const PEER_DROP_REASONS = new Set<string>([...TRANSPORT_DROP_REASONS, ...CONSENSUS_DROP_REASONS, 'malformed-transactions', 'unknown-payload']);
const RELAY_OUTCOMES = ['admitted', 'orphaned', 'refused'];
const ORPHAN_OUTCOMES: readonly OrphanOutcome[] = ['admitted', 'final', 'refused', 'expired', 'evicted'];

/** One registry per member process: what an operator's Prometheus scrapes at /metrics. */
export function createMemberMetrics() {
  const registry = new Registry();
  // prom-client's names already start with process_ or nodejs_: strongbox_process_cpu_seconds_total, strongbox_nodejs_heap_size_used_bytes.
  collectDefaultMetrics({ register: registry, prefix: 'strongbox_' });
  // Read from the verifier's own counts at each scrape, so that the hot path only adds to a number.
  new Counter({
    name: 'strongbox_signature_verifications_total',
    help: 'Ed25519 signatures verified since the start, by thread (main: a signature cache miss, or a peer handshake; pool: verified ahead of a catch-up, a start-up replay or an unseen block)',
    labelNames: ['thread'],
    registers: [registry],
    collect() {
      const work = signatureWork();
      this.reset();
      this.inc({ thread: 'main' }, work.verified);
      this.inc({ thread: 'pool' }, work.verifiedInBackground);
    },
  });
  new Counter({
    name: 'strongbox_signature_cache_lookups_total',
    help: 'lookups in the cache of signatures already verified, by result (a hit needs no verification)',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const work = signatureWork();
      this.reset();
      this.inc({ result: 'hit' }, work.cacheHits);
      this.inc({ result: 'miss' }, work.cacheMisses);
    },
  });
  const peerMessagesDropped = new Counter({
    name: 'strongbox_peer_messages_dropped_total',
    help: 'peer messages refused, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const relayedTransactions = new Counter({
    name: 'strongbox_relayed_transactions_total',
    help: 'transactions received from peers in relayed batches, by outcome (admitted to the mempool, orphaned: held until the block creating an output they spend is applied here, or refused: already pending, already final or invalid)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every series exists at 0 from the start: Prometheus's increase() cannot see the first
  // increment of a series that appears at 1, so an alert on one forged frame would never fire.
  for (const reason of PEER_DROP_REASONS) peerMessagesDropped.inc({ reason }, 0);
  for (const outcome of RELAY_OUTCOMES) relayedTransactions.inc({ outcome }, 0);
  const orphansLeft = new Counter({
    name: 'strongbox_mempool_orphans_total',
    help: 'relayed transactions held as orphans that left, by outcome (admitted to the mempool, final in a block, refused by admission, expired, evicted for newer ones)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ORPHAN_OUTCOMES) orphansLeft.inc({ outcome }, 0);
  return {
    registry,
    height: new Gauge({ name: 'strongbox_chain_height', help: 'height of the last final block', registers: [registry] }),
    finalityLatency: new Histogram({
      name: 'strongbox_finality_latency_seconds',
      help: 'time from a transaction entering the mempool to its block being final',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    mempoolSize: new Gauge({ name: 'strongbox_mempool_transactions', help: 'transactions waiting for a block', registers: [registry] }),
    mempoolOrphans: new Gauge({ name: 'strongbox_mempool_orphans', help: 'relayed transactions held until the block creating an output they spend is applied here', registers: [registry] }),
    orphansLeft,
    peersConnected: new Gauge({ name: 'strongbox_peers_connected', help: 'federation peers with an authenticated connection', registers: [registry] }),
    peerMessagesDropped,
    peerFramesReceived: new Counter({
      name: 'strongbox_peer_frames_received_total',
      help: 'authenticated peer frames admitted from each other member (within its rate limit), by sender',
      labelNames: ['member'],
      registers: [registry],
    }),
    relayedTransactions,
    transactionsRejected: new Counter({
      name: 'strongbox_transactions_rejected_total',
      help: 'submitted transactions refused, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

export type MemberMetrics = ReturnType<typeof createMemberMetrics>;
