import { MemberApiError, type MemberClient } from '../federation/api/client.ts';
import { decodeTransaction } from '../sidechain/transaction/codec.ts';

/**
 * What the chain knows `txid` as, in words ("a final transaction of kind pegin", "a pending
 * transaction"), or undefined when it is none of the chain's: for a command given the id of a
 * transaction of the wrong side or kind, which says so rather than only "not found".
 */
export async function chainTransactionWords(client: MemberClient, txid: string): Promise<string | undefined> {
  const known = await client.transaction(txid).catch((error: unknown) => {
    if (error instanceof MemberApiError && error.status === 404) return undefined;
    throw error;
  });
  if (!known) return undefined;
  if (known.hex) return `a final transaction of kind ${decodeTransaction(new Uint8Array(Buffer.from(known.hex, 'hex'))).kind}`;
  return known.status === 'orphan' ? 'a transaction relayed to the member, which holds it until it has the outputs it spends' : 'a pending transaction';
}
