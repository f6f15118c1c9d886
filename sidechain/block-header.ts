import { DecodeError, Reader, Writer } from './encoding/index.ts';
import { taggedHash } from './hash.ts';

export const HEADER_VERSION = 1;
export const HEADER_LENGTH = 1 + 32 + 8 + 32 + 8 + 32 + 4 + 2 + 32;

export interface BlockHeader {
  version: number;
  chainId: Uint8Array;
  height: number;
  /** Hash of the block at height − 1; the chain id for height 1 (the genesis is height 0). */
  previousHash: Uint8Array;
  /** Proposer's clock, ms since the epoch; strictly increasing along the chain. */
  timeMs: bigint;
  /** RFC 6962 Merkle root of the transaction ids, in block order. */
  txRoot: Uint8Array;
  txCount: number;
  /** Index of the member that built the block. */
  proposer: number;
  /** Commits the block to the member keys and threshold that must sign it. */
  memberSetHash: Uint8Array;
}

const HASH_FIELDS = ['chainId', 'previousHash', 'txRoot', 'memberSetHash'] as const;

/** Throws a TypeError naming the field: a header of the wrong shape is a bug, not input. */
export function encodeHeader(header: BlockHeader): Uint8Array {
  for (const field of HASH_FIELDS) {
    if (header[field].length !== 32) throw new TypeError(`block header ${field} must be 32 bytes, got ${header[field].length}`);
  }
  if (!Number.isSafeInteger(header.height) || header.height < 0) throw new TypeError(`block header height must be a non-negative safe integer, got ${header.height}`);
  return new Writer()
    .u8(header.version)
    .bytes(header.chainId)
    .u64(BigInt(header.height))
    .bytes(header.previousHash)
    .u64(header.timeMs)
    .bytes(header.txRoot)
    .u32(header.txCount)
    .u16(header.proposer)
    .bytes(header.memberSetHash)
    .finish();
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const reader = new Reader(bytes, 'block header');
  const header: BlockHeader = {
    version: reader.u8('version'),
    chainId: reader.bytes(32, 'chain id'),
    height: safeHeight(reader.u64('height')),
    previousHash: reader.bytes(32, 'previous hash'),
    timeMs: reader.u64('time'),
    txRoot: reader.bytes(32, 'transaction root'),
    txCount: reader.u32('transaction count'),
    proposer: reader.u16('proposer'),
    memberSetHash: reader.bytes(32, 'member set hash'),
  };
  reader.end();
  return header;
}

// Heights are JavaScript numbers everywhere else; one above 2^53 − 1 would silently round.
function safeHeight(height: bigint): number {
  if (height > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('block header', `height ${height} is above 2^53 − 1`);
  return Number(height);
}

// Hashes by header object: a block's hash is asked for by the signature warm-up, the finality
// check and the link to the parent, and headers are never changed once built, as transactions
// are not (their ids are kept the same way).
const hashes = new WeakMap<BlockHeader, Uint8Array>();

/** The block id: every signature and anchor refers to it. */
export function blockHash(header: BlockHeader): Uint8Array {
  let hash = hashes.get(header);
  if (!hash) {
    hash = taggedHash('Strongbox/block', encodeHeader(header));
    hashes.set(header, hash);
  }
  return hash;
}
