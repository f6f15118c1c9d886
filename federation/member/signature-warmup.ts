import { blockHash } from '../../sidechain/block-header.ts';
import type { Block } from '../../sidechain/block.ts';
import { decodeCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { verifySignatureInBackground } from '../../sidechain/ed25519.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { LedgerReader } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { inputMessages } from '../../sidechain/transaction/sighash.ts';
import { witnessSignatures } from '../../sidechain/transaction/signing.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import { decodeAhead } from './decoded-blocks.ts';

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
    const message = inputMessages(chainId, tx);
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

/** A final block as a member serves it: canonical block bytes and commit certificate bytes. */
export interface ServedBlock {
  block: Uint8Array;
  commit: Uint8Array;
}

/**
 * Verifies the signatures of final blocks fetched ahead on libuv's thread pool while earlier
 * blocks are being checked, so that a long run of blocks is verified on every core: an auditor's
 * chain, or a member's catch-up. It decides nothing: the reader still checks every block through
 * the members' synchronous path (verifyCommit, then the ledger executing each witness), which
 * finds these signatures in the signature cache. A transfer's key is the owner of the output it
 * spends, guessed from the blocks warmed before it and from the reader's ledger; a wrong guess,
 * or bytes that do not decode, only leave that signature for the reader to verify, or refuse, on
 * its own.
 */
export class SignatureWarmup {
  /** Owners of the outputs created by blocks warmed but not yet applied to the reader's ledger. */
  private readonly createdOwners = new Map<string, Uint8Array>();
  /** The keys of those outputs by the height that created them, oldest first. */
  private readonly unapplied: { height: number; keys: string[] }[] = [];
  private lastStarted: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly genesis: Genesis,
    private readonly ledger: LedgerReader,
  ) {}

  /**
   * Warms the block `fetching` brings once every block given before it has been started, since
   * it may spend their outputs, and resolves to that block once its signatures are verified.
   * Blocks must be given in height order; a rejected fetch rejects this and every later one.
   */
  warm<T extends ServedBlock>(fetching: Promise<T | null>): Promise<T | null> {
    const started = Promise.all([fetching, this.lastStarted]).then(([served]) => ({ served, verified: served && this.start(served) }));
    this.lastStarted = started;
    return started.then(async ({ served, verified }) => {
      await verified;
      return served;
    });
  }

  /** The reader applied every block up to `height`: its ledger now answers for their outputs. */
  applied(height: number): void {
    while (this.unapplied.length > 0 && this.unapplied[0]!.height <= height) {
      for (const key of this.unapplied.shift()!.keys) this.createdOwners.delete(key);
    }
  }

  private start(served: ServedBlock): Promise<void> {
    let block: Block;
    let commit: CommitCertificate;
    try {
      block = decodeAhead(served.block);
      commit = decodeCommit(served.commit);
    } catch {
      return Promise.resolve();
    }
    const { header, transactions } = block;
    const certificate = this.warmCertificate(block, commit);
    const spends = warmTransactionSignatures(this.ledger, transactions, this.genesis.chainId, this.createdOwners);
    const keys = transactions.flatMap((tx) => txInfo(tx).outputKeys);
    this.unapplied.push({ height: header.height, keys });
    return Promise.all([certificate, spends]).then(() => undefined);
  }

  private async warmCertificate({ header }: Block, commit: CommitCertificate): Promise<void> {
    const signBytes = voteSignBytes(header.chainId, VoteType.Precommit, header.height, commit.round, blockHash(header));
    await Promise.all(
      commit.signatures.map(({ memberIndex, signature }) => {
        const key = this.genesis.members.keys[memberIndex];
        return key && verifySignatureInBackground(key, signBytes, signature);
      }),
    );
  }
}
