import { blockHash } from '../../sidechain/block-header.ts';
import { encodeBlock, transactionRoot } from '../../sidechain/block.ts';
import { signMessage } from '../../sidechain/ed25519.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import type { Chain } from '../../federation/member/chain.ts';
import type { TestFederation } from './genesis.ts';

/**
 * Appends a block of `transactions` to `chain` the way a member receives one: built on the tip,
 * signed by k members, checked by executing it, then stored and applied.
 */
export async function appendFinalBlock(chain: Chain, federation: TestFederation, transactions: Transaction[]): Promise<void> {
  const height = chain.tip.height + 1;
  const header = {
    version: 1,
    chainId: federation.genesis.chainId,
    height,
    previousHash: chain.tip.hash,
    timeMs: chain.tip.timeMs + 1n,
    txRoot: transactionRoot(transactions),
    txCount: transactions.length,
    proposer: 0,
    memberSetHash: federation.genesis.memberSetHash,
  };
  const hash = blockHash(header);
  const bytes = encodeBlock({ header, transactions });
  const signBytes = voteSignBytes(federation.genesis.chainId, VoteType.Precommit, height, 0, hash);
  const signatures = federation.keys.slice(0, federation.genesis.members.threshold).map((keys, memberIndex) => ({ memberIndex, signature: signMessage(keys.blockSeed, signBytes) }));
  chain.checkBlock(height, hash, bytes);
  await chain.commitBlock(hash, bytes, { round: 0, signatures });
}
