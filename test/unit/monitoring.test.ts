import { expect } from 'chai';
import { encodeCommit } from '../../sidechain/commit.ts';
import type { BlockRow } from '../../sidechain/store/chain-queries.ts';
import { FederationHealth } from '../../federation/member/federation-health.ts';
import { FinalityTimer } from '../../federation/observability/finality-timer.ts';
import { createMemberMetrics } from '../../federation/observability/metrics.ts';
import { generateKeyPair, signMessage, verifySignature } from '../../sidechain/ed25519.ts';
import { pageOf } from '../../federation/api/pagination.ts';
import { DROP_REASONS as TRANSPORT_DROP_REASONS } from '../../federation/transport/stats.ts';
import { DROP_REASONS as CONSENSUS_DROP_REASONS } from '../../federation/consensus/admission.ts';

const signature = new Uint8Array(64);

/** A mempool holding `txids`, counting the lookups made of it. */
function mempoolOf(txids: string[]) {
  const held = new Set(txids);
  return {
    lookups: 0,
    get count() {
      return held.size;
    },
    has(txid: string) {
      this.lookups += 1;
      return held.has(txid);
    },
  };
}
function finalBlock(height: number, signers: number[]): BlockRow {
  const commit = encodeCommit({ round: 0, signatures: signers.map((memberIndex) => ({ memberIndex, signature })) });
  return { height, hash: new Uint8Array(32), header: new Uint8Array(0), commit, txCount: 0, timeMs: BigInt(1_000 * height) };
}

describe('federation health as one member sees it', () => {
  const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

  it('knows nothing of a peer before it hears from it, and the last time after', () => {
    const health = new FederationHealth(names, 0);
    expect(health.snapshot([]).map((m) => [m.name, m.self, m.connected, m.lastSeenMs])).to.deep.equal([
      ['alpha', true, true, null],
      ['beta', false, false, null],
      ['gamma', false, false, null],
      ['delta', false, false, null],
      ['epsilon', false, false, null],
    ]);
    health.heardFrom(3, 500);
    health.heardFrom(3, 700);
    health.heardFrom(9, 800);
    const members = health.snapshot([3, 4]);
    expect(members.map((m) => m.lastSeenMs)).to.deep.equal([null, null, null, 700, null]);
    expect(members.map((m) => m.connected)).to.deep.equal([true, false, false, true, true]);
  });

  it('remembers the latest block each member signed, whatever order the blocks come in', () => {
    const health = new FederationHealth(names, 1);
    health.blocksFinal([finalBlock(7, [0, 1, 2, 3]), finalBlock(5, [1, 2, 3, 4]), finalBlock(6, [0, 2, 3, 4])]);
    expect(health.snapshot([]).map((m) => m.lastSigned?.height ?? null)).to.deep.equal([7, 7, 7, 7, 6]);
    expect(health.snapshot([])[4]!.lastSigned).to.deep.equal({ height: 6, timeMs: 6_000n });
    expect(health.scannedHeight).to.equal(7);
  });
});

describe('finality timer', () => {
  it('measures from the first time a transaction was pending to its block, and forgets it', () => {
    const timer = new FinalityTimer();
    timer.pending('a', 1_000);
    timer.pending('a', 1_400);
    timer.pending('b', 1_200);
    expect(timer.final(['a', 'c'], 1_750, mempoolOf(['b']))).to.deep.equal([0.75]);
    expect(timer.size).to.equal(1);
    expect(timer.final(['a'], 2_000, mempoolOf(['b']))).to.deep.equal([]);
  });

  it('drops transactions that left the mempool without a block, so it never outgrows the mempool', () => {
    const timer = new FinalityTimer();
    timer.pending('evicted', 0);
    timer.pending('waiting', 0);
    timer.final([], 10, mempoolOf(['waiting']));
    expect(timer.size).to.equal(1);
    expect(timer.final(['waiting'], 2_000, mempoolOf([]))).to.deep.equal([2]);
  });

  it('looks up no pending transaction when none left the mempool but in the block', () => {
    const timer = new FinalityTimer();
    for (const txid of ['a', 'b', 'c']) timer.pending(txid, 0);
    const mempool = mempoolOf(['b', 'c']);
    expect(timer.final(['a'], 500, mempool)).to.deep.equal([0.5]);
    expect(mempool.lookups).to.equal(0);
    expect(timer.size).to.equal(2);
  });
});

describe('signature metrics', () => {
  it('report the verifications and cache lookups made since the start, as they stand at each scrape', async () => {
    const { registry } = createMemberMetrics();
    const sample = async (line: string) => Number(new RegExp(`^${line} (\\d+)$`, 'm').exec(await registry.metrics())?.[1]);
    const [verified, hits, misses] = await Promise.all(['strongbox_signature_verifications_total{thread="main"}', 'strongbox_signature_cache_lookups_total{result="hit"}', 'strongbox_signature_cache_lookups_total{result="miss"}'].map(sample));
    const { seed, publicKey } = generateKeyPair();
    const message = new Uint8Array(32).fill(3);
    const signature = signMessage(seed, message);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(await sample('strongbox_signature_verifications_total{thread="main"}')).to.equal(verified! + 1);
    expect(await sample('strongbox_signature_cache_lookups_total{result="hit"}')).to.equal(hits! + 1);
    expect(await sample('strongbox_signature_cache_lookups_total{result="miss"}')).to.equal(misses! + 1);
    expect(await sample('strongbox_signature_verifications_total{thread="pool"}')).to.be.a('number').and.not.NaN;
  });
});

describe('peer counters', () => {
  // Prometheus's increase() needs a sample before the first increment: an alert such as
  // increase(strongbox_peer_messages_dropped_total{reason="bad-mac"}[10m]) > 0 would miss one forged frame.
  it('have a series at 0 for every drop reason, relay outcome and way an orphan leaves before the first occurs', async () => {
    const text = await createMemberMetrics().registry.metrics();
    for (const reason of [...TRANSPORT_DROP_REASONS, ...CONSENSUS_DROP_REASONS, 'malformed-transactions', 'unknown-payload']) {
      expect(text, reason).to.include(`strongbox_peer_messages_dropped_total{reason="${reason}"} 0\n`);
    }
    for (const outcome of ['admitted', 'orphaned', 'refused']) expect(text, outcome).to.include(`strongbox_relayed_transactions_total{outcome="${outcome}"} 0\n`);
    for (const outcome of ['admitted', 'final', 'refused', 'expired', 'evicted']) expect(text, outcome).to.include(`strongbox_mempool_orphans_total{outcome="${outcome}"} 0\n`);
  });
});

describe('a page of a list', () => {
  const cursor = (n: number) => `after ${n}`;
  it('cuts the page and names the cursor of the next when a row beyond it was fetched', () => {
    expect(pageOf([1, 2, 3], 2, cursor)).to.deep.equal({ items: [1, 2], next: 'after 2' });
  });
  it('has no next cursor on the last page, full or not', () => {
    expect(pageOf([1, 2], 2, cursor)).to.deep.equal({ items: [1, 2], next: null });
    expect(pageOf([1], 2, cursor)).to.deep.equal({ items: [1], next: null });
    expect(pageOf([], 2, cursor)).to.deep.equal({ items: [], next: null });
  });
});
