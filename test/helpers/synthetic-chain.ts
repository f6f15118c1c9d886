import { Block, Transaction } from 'bitcoinjs-lib';
import type { ChainSource } from '../../watcher/follower/chain-follower.ts';

export const GENESIS_PARENT = '00'.repeat(32);

/**
 * Builds bitcoinjs blocks that link by prevHash, for feeding chain logic without a node. Headers
 * carry no proof of work: nothing under test checks it, and the node we follow in production does.
 */
export class SyntheticChain {
  private counter = 0;

  /** A transaction with the given outputs, unique (its input names a fresh outpoint). */
  payment(outputs: { script: Uint8Array; value: bigint }[]): Transaction {
    const tx = new Transaction();
    tx.addInput(Uint8Array.from(Buffer.alloc(32, 0xee)), this.counter++, 0xffffffff, Uint8Array.from([0x51]));
    for (const output of outputs) tx.addOutput(output.script, output.value);
    return tx;
  }

  /** A block on top of `parentHash` (display hex) holding a fresh coinbase and `txs`. */
  block(parentHash: string, txs: Transaction[] = []): Block {
    const n = this.counter++;
    const block = new Block();
    block.version = 0x20000000;
    block.prevHash = Uint8Array.from(Buffer.from(parentHash, 'hex').reverse());
    block.timestamp = 1_700_000_000 + n;
    block.bits = 0x207fffff;
    block.nonce = n;
    const coinbase = new Transaction();
    coinbase.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, Uint8Array.from([0x04, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]));
    coinbase.addOutput(Uint8Array.from([0x51]), 50_0000_0000n);
    block.transactions = [coinbase, ...txs];
    block.merkleRoot = Block.calculateMerkleRoot(block.transactions);
    return block;
  }

  /** `count` blocks, each on the previous one, the first on `parentHash`; `txs[i]` go in the i-th. */
  blocks(parentHash: string, count: number, txs: Transaction[][] = []): Block[] {
    const chain: Block[] = [];
    let parent = parentHash;
    for (let i = 0; i < count; i++) {
      const block = this.block(parent, txs[i] ?? []);
      chain.push(block);
      parent = block.getId();
    }
    return chain;
  }
}

/**
 * A ChainSource over synthetic blocks: `best` is the chain the source currently reports (index =
 * height). Tests switch `best` to simulate reorgs and set `failures` to make calls throw.
 */
export class SyntheticChainSource implements ChainSource {
  best: Block[] = [];
  failures = 0;
  calls = 0;

  constructor(best: Block[]) {
    this.best = best;
  }

  private call(): void {
    this.calls++;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connection refused');
    }
  }

  async getBestBlockHash(): Promise<string> {
    this.call();
    return this.best.at(-1)!.getId();
  }

  async getBlockCount(): Promise<number> {
    this.call();
    return this.best.length - 1;
  }

  async getBlockHash(height: number): Promise<string> {
    this.call();
    const block = this.best[height];
    if (!block) throw new Error(`Block height out of range: ${height}`);
    return block.getId();
  }

  async getBlock(hash: string): Promise<Block> {
    this.call();
    const block = this.best.find((candidate) => candidate.getId() === hash);
    if (!block) throw new Error(`Block not found: ${hash}`);
    return block;
  }

  /** As a node answers a batch: every hash, then every block by hash, through the calls above (which tests may replace). */
  async getBlocks(from: number, to: number): Promise<{ height: number; hash: string; block: Block }[]> {
    const heights = Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
    const hashes: string[] = [];
    for (const height of heights) hashes.push(await this.getBlockHash(height));
    const blocks: Block[] = [];
    for (const hash of hashes) blocks.push(await this.getBlock(hash));
    return heights.map((height, index) => ({ height, hash: hashes[index]!, block: blocks[index]! }));
  }
}
