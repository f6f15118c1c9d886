import { blockHash, decodeHeader, HEADER_LENGTH } from '../../sidechain/block-header.ts';
import { decodeCommit } from '../../sidechain/commit.ts';
import { verifySignatureInBackground } from '../../sidechain/ed25519.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import type { ServedBlock } from './block-source.ts';

/**
 * Verifies a served block's certificate signatures on the thread pool while earlier blocks are
 * being checked, so that the certificates of a long chain are verified on every core. It
 * decides nothing: the auditor still runs the members' verifyCommit on every block, which finds
 * these signatures in the signature cache. Bytes that do not decode are left for it to refuse.
 */
export async function warmCertificate(genesis: Genesis, served: ServedBlock): Promise<void> {
  let signBytes: Uint8Array;
  let signatures: { memberIndex: number; signature: Uint8Array }[];
  try {
    const header = decodeHeader(served.block.subarray(0, HEADER_LENGTH));
    const commit = decodeCommit(served.commit);
    signBytes = voteSignBytes(header.chainId, VoteType.Precommit, header.height, commit.round, blockHash(header));
    signatures = commit.signatures;
  } catch {
    return;
  }
  await Promise.all(
    signatures.map(({ memberIndex, signature }) => {
      const key = genesis.members.keys[memberIndex];
      return key && verifySignatureInBackground(key, signBytes, signature);
    }),
  );
}
