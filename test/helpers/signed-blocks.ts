import { blockHash, type BlockHeader } from '../../sidechain/block-header.ts';
import { decodeBlock, encodeBlock, transactionRoot } from '../../sidechain/block.ts';
import { encodeCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { signMessage } from '../../sidechain/ed25519.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import type { TestFederation } from './genesis.ts';

/** Where the next block goes: the parent's height, hash and time. */
export interface BlockParent {
  height: number;
  hash: Uint8Array;
  timeMs: bigint;
}

/** The genesis as the parent of block 1: height 0, its chain id for a hash, its time. */
export function genesisParent(genesis: Genesis): BlockParent {
  return { height: 0, hash: genesis.chainId, timeMs: genesis.timeMs };
}

/** A block seed by member index: who signs a certificate. */
export type Signers = { memberIndex: number; seed: Uint8Array }[];

/** The first k members of a test federation, the signers of an ordinary final block. */
export function quorum(federation: TestFederation): Signers {
  return federation.keys.slice(0, federation.genesis.members.threshold).map((keys, memberIndex) => ({ memberIndex, seed: keys.blockSeed }));
}

/** The header of a block of `transactions` on `parent`, one millisecond after it. */
export function nextHeader(genesis: Genesis, parent: BlockParent, transactions: readonly Transaction[], proposer = 0): BlockHeader {
  return {
    version: 1,
    chainId: genesis.chainId,
    height: parent.height + 1,
    previousHash: parent.hash,
    timeMs: parent.timeMs + 1n,
    txRoot: transactionRoot(transactions),
    txCount: transactions.length,
    proposer,
    memberSetHash: genesis.memberSetHash,
  };
}

/** Precommit signatures of `signers` over the header: the certificate that makes it final (with enough of them). */
export function signCommit(header: BlockHeader, signers: Signers, round = 0): CommitCertificate {
  const signBytes = voteSignBytes(header.chainId, VoteType.Precommit, header.height, round, blockHash(header));
  return { round, signatures: signers.map(({ memberIndex, seed }) => ({ memberIndex, signature: signMessage(seed, signBytes) })) };
}

/** One block as a member serves it: canonical bytes, and the decoded parts they were made from. */
export interface SignedBlock {
  header: BlockHeader;
  hash: Uint8Array;
  transactions: Transaction[];
  block: Uint8Array;
  commit: Uint8Array;
}

export function signedBlock(header: BlockHeader, transactions: Transaction[], signers: Signers, round = 0): SignedBlock {
  return { header, hash: blockHash(header), transactions, block: encodeBlock({ header, transactions }), commit: encodeCommit(signCommit(header, signers, round)) };
}

/**
 * A chain of final blocks in memory, built on the genesis of a test federation and signed by its
 * first k members unless told otherwise: what a member would serve, without a member.
 */
export class SignedChain {
  readonly blocks: SignedBlock[] = [];

  constructor(readonly federation: TestFederation) {}

  get tip(): BlockParent {
    const last = this.blocks.at(-1);
    return last ? { height: last.header.height, hash: last.hash, timeMs: last.header.timeMs } : genesisParent(this.federation.genesis);
  }

  append(transactions: Transaction[], signers: Signers = quorum(this.federation)): SignedBlock {
    const block = signedBlock(nextHeader(this.federation.genesis, this.tip, transactions), transactions, signers);
    this.blocks.push(block);
    return block;
  }
}

/** A block as a member served it (canonical bytes), with its decoded parts. */
export function servedBlock(block: Uint8Array, commit: Uint8Array): SignedBlock {
  const { header, transactions } = decodeBlock(block);
  return { header, hash: blockHash(header), transactions, block, commit };
}

/**
 * A rewritten history, as members holding `signers`' keys could serve it: block `height` gets
 * the transactions `edit` returns, and it and every later block are re-linked to their new
 * parents and re-signed; the blocks below `height` are served as they were.
 */
export function rewriteHistory(blocks: readonly SignedBlock[], height: number, edit: (transactions: Transaction[]) => Transaction[], signers: Signers): SignedBlock[] {
  const rewritten = blocks.slice(0, height - 1);
  for (const original of blocks.slice(height - 1)) {
    const transactions = original.header.height === height ? edit([...original.transactions]) : original.transactions;
    const parent = rewritten.at(-1);
    const header = { ...original.header, previousHash: parent ? parent.hash : original.header.previousHash, txRoot: transactionRoot(transactions), txCount: transactions.length };
    rewritten.push(signedBlock(header, transactions, signers));
  }
  return rewritten;
}
