const HASH_LENGTH = 32;
const CHUNK_BITS = 12;
const CHUNK_HASHES = 1 << CHUNK_BITS;

/**
 * The hash of every block by height, the genesis (the chain id) at 0, 32 bytes each in chunks of
 * 4,096. Members and auditors keep one per height for the life of the chain, since an anchor
 * record may name any height; a Uint8Array of its own costs about 250 bytes of heap and 530 of
 * resident memory for its 32 bytes, 0.5 GB a million blocks.
 */
export class BlockHashes {
  private readonly chunks: Uint8Array[] = [];
  private count = 0;

  constructor(genesisHash: Uint8Array) {
    this.push(genesisHash);
  }

  /** Height of the last hash pushed; 0 while only the genesis is there. */
  get tipHeight(): number {
    return this.count - 1;
  }

  /** The hash at the next height. */
  push(hash: Uint8Array): void {
    if (hash.length !== HASH_LENGTH) throw new RangeError(`a block hash is ${HASH_LENGTH} bytes, got ${hash.length}`);
    if ((this.count & (CHUNK_HASHES - 1)) === 0) this.chunks.push(new Uint8Array(CHUNK_HASHES * HASH_LENGTH));
    this.chunks[this.count >>> CHUNK_BITS]!.set(hash, (this.count & (CHUNK_HASHES - 1)) * HASH_LENGTH);
    this.count++;
  }

  /** A copy of the hash at `height`, so no caller can change the kept one; undefined above the tip. */
  at(height: number): Uint8Array | undefined {
    if (!Number.isSafeInteger(height) || height < 0 || height >= this.count) return undefined;
    const offset = (height & (CHUNK_HASHES - 1)) * HASH_LENGTH;
    return this.chunks[height >>> CHUNK_BITS]!.slice(offset, offset + HASH_LENGTH);
  }
}
