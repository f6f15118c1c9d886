/** What `GET /blocks/:height` answers about a final block, with its transactions' ids. */
export interface FinalBlockParts {
  hash: Uint8Array;
  header: Uint8Array;
  commit: Uint8Array;
  txids: string[];
}

/**
 * The newest final blocks as the store holds them, kept from when they are applied: clients
 * waiting for a block (an explorer, a client waiting for its transfer) ask for it as it becomes
 * final, which otherwise costs two statements on the store and the decoding of every transaction
 * again. Ids only, not the decoded transactions, so what is kept stays small.
 */
export class RecentFinalBlocks {
  private readonly blocks = new Map<number, FinalBlockParts>();

  constructor(private readonly capacity: number) {}

  add(height: number, parts: FinalBlockParts): void {
    this.blocks.set(height, parts);
    // Heights are added in order, so the first key is the oldest.
    if (this.blocks.size > this.capacity) this.blocks.delete(this.blocks.keys().next().value!);
  }

  at(height: number): FinalBlockParts | undefined {
    return this.blocks.get(height);
  }
}
