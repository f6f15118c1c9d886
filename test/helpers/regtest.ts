import { execFileSync } from 'node:child_process';
import { startRegtestNode, type RegtestNode } from '../../regtest/node.ts';
import { faucetFor, type Faucet } from '../../regtest/faucet.ts';
import { onTestRunEnd } from './cleanup.ts';
import { madeOncePerRun } from './run-folder.ts';

let shared: Promise<{ node: RegtestNode; faucet: Faucet }> | undefined;

/** One in-memory regtest node for the whole test run (for each file in parallel mode), started on first use. */
export function sharedRegtest(): Promise<{ node: RegtestNode; faucet: Faucet }> {
  shared ??= startRegtestNode().then((node) => {
    onTestRunEnd(() => {
      shared = undefined;
      return node.stop();
    });
    return { node, faucet: faucetFor(node.rpc) };
  });
  return shared;
}

/**
 * The folder of a regtest node that mined a new chain past segwit activation once for the whole
 * run (for both workers of a parallel run), the node stopped. Mining those blocks is most of a new
 * node's start, and every test network would pay it.
 */
function minedChain(): Promise<string> {
  return madeOncePerRun('bitcoin', async (dataDir) => {
    await (await startRegtestNode({ dataDir })).stop();
  });
}

/**
 * Puts a copy of the run's mined chain at `dataDir`: a node started there resumes it as a local
 * network started again resumes its own, and mines nothing.
 */
export async function placeMinedChain(dataDir: string): Promise<void> {
  execFileSync('cp', ['-a', await minedChain(), dataDir]);
}
