import { blockHash } from '../../sidechain/block-header.ts';
import { decodeBlock, encodeBlock } from '../../sidechain/block.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import type { Chain } from '../../federation/member/chain.ts';
import type { TestFederation } from './genesis.ts';
import { nextHeader, quorum, signCommit } from './signed-blocks.ts';

/**
 * Appends a block of `transactions` to `chain` the way a member receives one: built on the tip,
 * signed by k members, checked by executing it, then stored and applied.
 */
export async function appendFinalBlock(chain: Chain, federation: TestFederation, transactions: Transaction[]): Promise<void> {
  const header = nextHeader(federation.genesis, chain.tip, transactions);
  const hash = blockHash(header);
  const bytes = encodeBlock({ header, transactions });
  chain.checkBlock(header.height, hash, decodeBlock(bytes));
  await chain.commitBlock(hash, bytes, signCommit(header, quorum(federation)));
}
