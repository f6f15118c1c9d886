import type { MemberClient } from '../federation/api/client.ts';
import type { Transaction } from '../sidechain/transaction/types.ts';

/**
 * Submits a signed transaction and waits until it is final, with progress on stderr unless --json:
 * `<done> <txid>, waiting for finality…`.
 */
export async function submitUntilFinal(client: MemberClient, tx: Transaction, options: { json?: boolean }, done = 'submitted'): Promise<{ txid: string; height: number }> {
  const txid = await client.submit(tx);
  if (!options.json) process.stderr.write(`${done} ${txid}, waiting for finality`);
  // The progress line ends before whatever comes next, an error included.
  const endLine = () => options.json || process.stderr.write('\n');
  const final = await client.waitForFinal(txid, { onWait: options.json ? undefined : () => process.stderr.write('.') }).finally(endLine);
  return { txid, height: final.height! };
}
