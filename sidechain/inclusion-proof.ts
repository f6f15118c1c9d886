import { z } from 'zod';
import { blockHash, decodeHeader, encodeHeader, type BlockHeader } from './block-header.ts';
import type { Block } from './block.ts';
import { decodeCommit, encodeCommit, verifyCommit, type ChainIdentity, type CommitCertificate } from './commit.ts';
import { ValidationError } from './errors.ts';
import { inclusionProof, verifyInclusion } from './merkle.ts';
import { decodeTransaction, encodeTransaction } from './transaction/codec.ts';
import { txId, witnessTxId } from './transaction/ids.ts';
import type { Transaction } from './transaction/types.ts';

/**
 * Everything needed to show, offline and trusting nobody, that a transaction is in a final block:
 * the block header, its commit certificate and the Merkle audit path of the transaction's
 * witness id. The verifier needs only the genesis. A peg-out burn's proof is one of these.
 */
export interface InclusionProof {
  header: BlockHeader;
  commit: CommitCertificate;
  transaction: Transaction;
  /** Position of the transaction in the block; the tree size is the header's transaction count. */
  index: number;
  /** RFC 6962 audit path, siblings from the leaf upwards. */
  path: Uint8Array[];
}

export interface VerifiedInclusion {
  transaction: Transaction;
  txId: Uint8Array;
  height: number;
  blockHash: Uint8Array;
}

export function buildInclusionProof(block: Block, commit: CommitCertificate, index: number): InclusionProof {
  const transaction = block.transactions[index];
  if (!transaction) throw new RangeError(`block ${block.header.height} has no transaction ${index}`);
  return { header: block.header, commit, transaction, index, path: inclusionProof(block.transactions.map(witnessTxId), index) };
}

/**
 * Throws a FinalityError when the block is not final for this chain, a ValidationError with code
 * `bad-proof` when the transaction is not at `index` under the header's transaction root.
 */
export function verifyInclusionProof(proof: InclusionProof, chain: ChainIdentity): VerifiedInclusion {
  verifyCommit(proof.header, proof.commit, chain);
  verifyInclusion(witnessTxId(proof.transaction), proof.index, proof.header.txCount, proof.path, proof.header.txRoot);
  return { transaction: proof.transaction, txId: txId(proof.transaction), height: proof.header.height, blockHash: blockHash(proof.header) };
}

const hexString = z.string().regex(/^([0-9a-f]{2})*$/, 'expected lowercase hex');
export const proofJsonSchema = z
  .object({
    version: z.literal(1),
    header: hexString,
    commit: hexString,
    transaction: hexString,
    index: z.number().int().min(0).max(0xffffffff),
    path: z.array(hexString.length(64, 'expected a 32-byte hash as 64 hex characters')).max(32),
  })
  .strict();

export type InclusionProofJson = z.infer<typeof proofJsonSchema>;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

/** The exchange form: each part as the hex of its canonical encoding, so nothing is re-interpreted. */
export function inclusionProofToJson(proof: InclusionProof): InclusionProofJson {
  return {
    version: 1,
    header: hex(encodeHeader(proof.header)),
    commit: hex(encodeCommit(proof.commit)),
    transaction: hex(encodeTransaction(proof.transaction)),
    index: proof.index,
    path: proof.path.map(hex),
  };
}

/** Parses the exchange form; malformed parts are refused with the field named, before any check. */
export function inclusionProofFromJson(json: unknown): InclusionProof {
  const result = proofJsonSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // A file of another kind (an offer, a wallet, the genesis) is named as such, not by its first missing field.
    if (typeof json === 'object' && json !== null && !('header' in json)) {
      throw new ValidationError('bad-proof', 'not an inclusion proof: it has no "header" (a proof is what `strongbox proof` writes)');
    }
    throw new ValidationError('bad-proof', `inclusion proof ${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const parsed = result.data;
  return {
    header: decodeHeader(unhex(parsed.header)),
    commit: decodeCommit(unhex(parsed.commit)),
    transaction: decodeTransaction(unhex(parsed.transaction)),
    index: parsed.index,
    path: parsed.path.map(unhex),
  };
}
