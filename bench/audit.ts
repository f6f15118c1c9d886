import { memoryBlockSource } from '../federation/audit/block-source.ts';
import { runAudit } from '../federation/audit/run-audit.ts';
import type { ServedBlock } from '../federation/member/signature-warmup.ts';
import type { Genesis } from '../sidechain/genesis.ts';
import { startRegtestNode } from '../regtest/node.ts';
import { paymentChain } from '../test/helpers/payment-chain.ts';
import { figure, type Figure } from './report.ts';
import { processCpuMs } from './thread-cpu.ts';

/** Signatures an auditor verifies per block of this chain: a 4-of-5 certificate and one transfer witness. */
const SIGNATURES_PER_BLOCK = 5;

/**
 * `strongbox audit` over chains held in memory (every block decoded, its certificate verified,
 * linked and executed by the ledger), against a real regtest node for the Bitcoin side. The
 * ceiling is raw Ed25519 verification divided by the signatures a block carries; the time of
 * the longest chain is compared with the shortest to show the audit is linear in its length.
 * The longest chain's CPU per block (every thread) is then compared with an audit of copies of
 * the same bytes, whose signatures are all in the cache by then: what the checks cost besides
 * verifying signatures.
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
    /** CPU microseconds per block of an audit of `blocks`, all threads. */
    const audit = async (genesis: Genesis, blocks: readonly ServedBlock[]) => {
      const cpuBefore = processCpuMs();
      const report = await runAudit({ genesis, source: memoryBlockSource(blocks), bitcoin: node.rpc });
      if (report.height !== blocks.length) throw new Error(`the audit covered ${report.height} of ${blocks.length} blocks`);
      return { report, cpuPerBlock: ((processCpuMs() - cpuBefore) * 1000) / blocks.length };
    };
    let longest: { cpu: Figure; genesis: Genesis; blocks: readonly ServedBlock[] } | undefined;
    for (const chain of chains) {
      const length = chain.blocks.length.toLocaleString('en-US');
      const { report, cpuPerBlock } = await audit(chain.federation.genesis, chain.blocks);
      const time = figure(`audit time, ${length} blocks`, report.elapsedMs / 1000, 's', shortest);
      shortest ??= time;
      figures.push(time, figure(`audit speed, ${length} blocks`, report.blocksPerSecond, 'blocks/s', ceiling));
      longest = { cpu: figure(`audit CPU per block, ${length} blocks`, cpuPerBlock, 'µs'), genesis: chain.federation.genesis, blocks: chain.blocks };
    }
    if (longest) {
      // Copies, so that nothing decoded from the bytes audited before is taken again.
      const copies = longest.blocks.map(({ block, commit }) => ({ block: Uint8Array.from(block), commit: Uint8Array.from(commit) }));
      const { cpuPerBlock } = await audit(longest.genesis, copies);
      figures.push(longest.cpu, figure(`audit CPU per block with every signature cached, ${copies.length.toLocaleString('en-US')} blocks`, cpuPerBlock, 'µs', longest.cpu));
    }
    return figures;
  } finally {
    await node.stop();
  }
}
