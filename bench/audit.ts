import { memoryBlockSource } from '../federation/audit/block-source.ts';
import { runAudit } from '../federation/audit/run-audit.ts';
import { startRegtestNode } from '../regtest/node.ts';
import { paymentChain } from '../test/helpers/payment-chain.ts';
import { figure, type Figure } from './report.ts';

/** Signatures an auditor verifies per block of this chain: a 4-of-5 certificate and one transfer witness. */
const SIGNATURES_PER_BLOCK = 5;

/**
 * `strongbox audit` over chains held in memory (every block decoded, its certificate verified,
 * linked and executed by the ledger), against a real regtest node for the Bitcoin side. The
 * ceiling is raw Ed25519 verification divided by the signatures a block carries; the time of
 * the longest chain is compared with the shortest to show the audit is linear in its length.
 */
export async function auditSpeed(baseline: Figure, lengths: number[]): Promise<Figure[]> {
  // Built before the node starts: building blocks the event loop, and a node's idle connection
  // closed meanwhile would only be noticed as a reset on the first call.
  const chains = [...lengths].sort((a, b) => a - b).map((length) => paymentChain(length).chain);
  const node = await startRegtestNode();
  try {
    const ceiling = figure(`audit ceiling: Ed25519 verifications/s ÷ ${SIGNATURES_PER_BLOCK} signatures per block`, baseline.value / SIGNATURES_PER_BLOCK, 'blocks/s');
    const figures: Figure[] = [ceiling];
    let shortest: Figure | undefined;
    for (const chain of chains) {
      const length = chain.blocks.length;
      const report = await runAudit({ genesis: chain.federation.genesis, source: memoryBlockSource(chain.blocks), bitcoin: node.rpc });
      if (report.height !== length) throw new Error(`the audit covered ${report.height} of ${length} blocks`);
      const time = figure(`audit time, ${length.toLocaleString('en-US')} blocks`, report.elapsedMs / 1000, 's', shortest);
      shortest ??= time;
      figures.push(time, figure(`audit speed, ${length.toLocaleString('en-US')} blocks`, report.blocksPerSecond, 'blocks/s', ceiling));
    }
    return figures;
  } finally {
    await node.stop();
  }
}
