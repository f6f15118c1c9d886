import type { MemberClient } from '../federation/api/client.ts';
import type { Transaction } from '../sidechain/transaction/types.ts';

/** Submits a signed transaction and waits until it is final, with progress on stderr unless --json. */
export async function submitUntilFinal(client: MemberClient, tx: Transaction, options: { json?: boolean }): Promise<{ txid: string; height: number }> {
  const txid = await client.submit(tx);
  if (!options.json) process.stderr.write(`submitted ${txid}, waiting for finality`);
  const final = await client.waitForFinal(txid, { onWait: options.json ? undefined : () => process.stderr.write('.') });
  if (!options.json) process.stderr.write('\n');
  return { txid, height: final.height! };
}
