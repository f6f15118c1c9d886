import { decodeHeader } from '../../sidechain/block-header.ts';
import { decodeCommit } from '../../sidechain/commit.ts';

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
