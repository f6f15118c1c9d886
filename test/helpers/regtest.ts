import { startRegtestNode, type RegtestNode } from '../../regtest/node.ts';
import { faucetFor, type Faucet } from '../../regtest/faucet.ts';
import { onTestRunEnd } from './cleanup.ts';

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
