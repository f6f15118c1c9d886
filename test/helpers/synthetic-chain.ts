import { Block, Transaction } from 'bitcoinjs-lib';

/**
 * Builds bitcoinjs blocks that link by prevHash, for feeding chain logic without a node. Headers
 * carry no proof of work: nothing under test checks it, and the node we follow in production does.
 */
export class SyntheticChain {
  private counter = 0;

  /** A block on top of `parent` (a block hash, display hex), holding a coinbase plus `payments`. */
  block(parentHash: string, payments: { script: Uint8Array; value: bigint }[][] = []): Block {
    const block = new Block();
    block.version = 0x20000000;
    block.prevHash = Uint8Array.from(Buffer.from(parentHash, 'hex').reverse());
    block.timestamp = 1_700_000_000 + this.counter;
    block.bits = 0x207fffff;
    block.nonce = this.counter++;
    const coinbase = new Transaction();
    coinbase.addInput(new Uint8Array(32), 0xffffffff, 0xffffffff, Uint8Array.from([0x02, this.counter & 0xff, (this.counter >> 8) & 0xff]));
    coinbase.addOutput(Uint8Array.from([0x51]), 50_0000_0000n);
    const txs = [coinbase];
    payments.forEach((outputs, i) => {
      const tx = new Transaction();
      tx.addInput(Uint8Array.from(Buffer.alloc(32, i + 1)), this.counter, 0xffffffff, Uint8Array.from([0x51]));
      for (const output of outputs) tx.addOutput(output.script, output.value);
      txs.push(tx);
    });
    block.transactions = txs;
    block.merkleRoot = Block.calculateMerkleRoot(txs);
    return block;
  }

  /** `count` empty blocks on top of `parentHash`, each on the previous one. */
  blocks(parentHash: string, count: number): Block[] {
    const chain: Block[] = [];
    let parent = parentHash;
    for (let i = 0; i < count; i++) {
      const block = this.block(parent);
      chain.push(block);
      parent = block.getId();
    }
    return chain;
  }
}

export const GENESIS_PARENT = '00'.repeat(32);
