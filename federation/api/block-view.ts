import { z } from 'zod';
import { decodeHeader } from '../../sidechain/block-header.ts';
import { decodeCommit } from '../../sidechain/commit.ts';
import * as wire from './wire-shapes.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A final block as the API shows it: header fields, who signed it (the commit), how many transactions. */
export function blockSummary(block: { hash: Uint8Array; header: Uint8Array; commit: Uint8Array }) {
  const header = decodeHeader(block.header);
  const commit = decodeCommit(block.commit);
  return {
    height: header.height,
    hash: hex(block.hash),
    previousHash: hex(header.previousHash),
    timeMs: header.timeMs,
    txRoot: hex(header.txRoot),
    txCount: header.txCount,
    proposer: header.proposer,
    commit: { round: commit.round, signers: commit.signatures.map((s) => s.memberIndex) },
  };
}

export const blockSummarySchema = z.strictObject({
  height: wire.height,
  hash: wire.hex32('block hash'),
  previousHash: wire.hex32('hash of the block below; the chain id for height 1'),
  timeMs: wire.timeMs.describe("the proposer's clock when it built the block: ms since the epoch, as a decimal string"),
  txRoot: wire.hex32('RFC 6962 Merkle root of the witness transaction ids, in block order'),
  txCount: wire.uint,
  proposer: wire.memberIndex.describe('index of the member that built the block'),
  commit: z.strictObject({
    round: wire.uint.describe('consensus round in which the block was decided'),
    signers: z.array(wire.memberIndex).describe('indexes of the members whose precommit signatures the commit certificate carries'),
  }),
});
