import { onTestRunEnd } from './cleanup.ts';
import { startTestNetwork, type TestNetwork } from './local-network.ts';

let shared: Promise<TestNetwork> | undefined;

/**
 * One local network of five member processes for the test files that only add to a chain
 * (fuzzing, secrets): started on first use, stopped after the last test of the run.
 */
export function sharedTestNetwork(): Promise<TestNetwork> {
  shared ??= startTestNetwork(5).then((net) => {
    onTestRunEnd(() => net.stop());
    return net;
  });
  return shared;
}
