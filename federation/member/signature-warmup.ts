import { verifySignatureInBackground } from '../../sidechain/ed25519.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { inputMessages } from '../../sidechain/transaction/sighash.ts';
import { witnessSignatures } from '../../sidechain/transaction/signing.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';

/**
 * Verifies the input signatures of a block's transactions on libuv's thread pool, so that they are
 * checked on every core rather than on the one running the member. It decides nothing: executing
 * the block still verifies every witness through verifySignature, which finds these successes in
 * the signature cache. A signature it cannot attribute (an input unknown to `ledger`, a malformed
 * witness) is left for that execution, which verifies it, or refuses the block, on its own.
 *
 * `createdOwners` holds the owners of outputs created by transactions `ledger` does not hold yet,
 * and receives those these transactions create: a reader warming several blocks ahead of its
 * ledger passes the same map for each, in height order.
 */
export async function warmTransactionSignatures(
  ledger: LedgerReader,
  transactions: readonly Transaction[],
  chainId: Uint8Array,
  createdOwners = new Map<string, Uint8Array>(),
): Promise<void> {
  const verifying: Promise<void>[] = [];
  for (const tx of transactions) {
    const info = txInfo(tx);
    const message = inputMessages(chainId, tx, info.unsigned);
    info.inputKeys.forEach((key, index) => {
      const owner = createdOwners.get(key) ?? ledger.getUtxo(key)?.owner;
      const witness = tx.witnesses[index];
      if (!owner || !witness) return;
      let signed: Uint8Array;
      try {
        signed = message(index, witness);
      } catch {
        return;
      }
      for (const { publicKey, signature } of witnessSignatures(owner, witness)) verifying.push(verifySignatureInBackground(publicKey, signed, signature));
    });
    info.outputs.forEach((output, index) => createdOwners.set(`${info.idHex}:${index}`, output.owner));
  }
  await Promise.all(verifying);
}
