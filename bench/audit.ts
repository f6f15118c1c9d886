import { txId } from '../sidechain/transaction/ids.ts';
import { memoryBlockSource } from '../federation/audit/block-source.ts';
import { runAudit } from '../federation/audit/run-audit.ts';
import { startRegtestNode } from '../regtest/node.ts';
import { testFederation } from '../test/helpers/genesis.ts';
import { SignedChain } from '../test/helpers/signed-blocks.ts';
import { issuance, testWallet, transfer } from '../test/helpers/transactions.ts';
import { figure, type Figure } from './report.ts';

/** Signatures an auditor verifies per block of this chain: a 4-of-5 certificate and one transfer witness. */
const SIGNATURES_PER_BLOCK = 5;

/**
 * A chain of `length` final blocks signed by 4 of 5 members, each holding one signed transfer
 * (alice pays bob one unit from her change). Built without verifying anything, so no signature
 * is in a cache when the audit starts.
 */
function syntheticChain(length: number): SignedChain {
  const federation = testFederation(5);
  const chainId = federation.genesis.chainId;
  const alice = testWallet();
  const bob = testWallet();
  const chain = new SignedChain(federation);
  const supply = BigInt(length) * 10n;
  const { tx: issue, asset } = issuance(chainId, alice, supply);
  chain.append([issue]);
  let coin = { txid: txId(issue), index: 0, amount: supply };
  while (chain.blocks.length < length) {
    const pay = transfer(chainId, alice, coin, asset, bob.owner, 1n);
    chain.append([pay]);
    coin = { txid: txId(pay), index: 1, amount: coin.amount - 1n };
  }
  return chain;
}

/**
 * `strongbox audit` over chains held in memory (every block decoded, its certificate verified,
 * linked and executed by the ledger), against a real regtest node for the Bitcoin side. The
 * ceiling is raw Ed25519 verification divided by the signatures a block carries; the time of
 * the longest chain is compared with the shortest to show the audit is linear in its length.
 */
export async function auditSpeed(baseline: Figure, lengths: number[]): Promise<Figure[]> {
  // Built before the node starts: building blocks the event loop, and a node's idle connection
  // closed meanwhile would only be noticed as a reset on the first call.
  const chains = [...lengths].sort((a, b) => a - b).map(syntheticChain);
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
