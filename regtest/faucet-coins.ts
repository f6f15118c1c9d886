import type { Block } from 'bitcoinjs-lib';
import { sameBytes } from '../sidechain/bytes.ts';
import type { BitcoinRpc } from '../watcher/rpc.ts';

const COINBASE_MATURITY = 100;
const SCAN_BATCH = 32;

export interface Coin {
  txid: string;
  vout: number;
  value: bigint;
  /** Height of the block that holds it; null for our own change still in the mempool. */
  height: number | null;
  coinbase: boolean;
}

/**
 * Finds unspent outputs paying one script using only RPCs bcoin and bitcoind share. Blocks are
 * read newest first and only as far back as a payment needs, so a long-lived chain does not make
 * every payment re-read it from genesis. Coins are re-checked before use: gettxout drops those
 * spent in a block (or reorged away), and the mempool is read because bcoin's gettxout still
 * answers for outputs that a mempool transaction spends.
 */
export class CoinFinder {
  private high = -1;
  private low = 0;
  private readonly known = new Map<string, Coin>();
  private readonly mempoolInputs = new Map<string, string[]>();

  constructor(
    private readonly rpc: BitcoinRpc,
    private readonly script: Uint8Array,
  ) {}

  /** Yields spendable coins until the caller has enough; later calls resume where this stopped. */
  async *spendable(): AsyncGenerator<Coin> {
    const tip = await this.rpc.getBlockCount();
    const spentInMempool = await this.mempoolSpends();
    if (this.high < 0) this.low = tip + 1;
    else if (tip > this.high) this.scanned(await this.read(this.high + 1, tip));
    this.high = Math.max(this.high, tip);
    for (;;) {
      for (const coin of [...this.known.values()]) {
        if (coin.coinbase && coin.height !== null && tip - coin.height + 1 < COINBASE_MATURITY) continue;
        if (spentInMempool.has(key(coin)) || !(await this.unspent(coin))) {
          this.known.delete(key(coin));
          continue;
        }
        this.known.delete(key(coin));
        yield coin;
      }
      if (this.low === 0) return;
      const from = Math.max(0, this.low - SCAN_BATCH);
      this.scanned(await this.read(from, this.low - 1));
      this.low = from;
    }
  }

  /** Our own change: spendable at once, before any block holds it. */
  add(coin: Coin): void {
    this.known.set(key(coin), coin);
  }

  /** Hands back coins a caller took but did not spend. */
  putBack(coins: Coin[]): void {
    for (const coin of coins) this.add(coin);
  }

  private async unspent(coin: Coin): Promise<boolean> {
    return (await this.rpc.getTxOut(coin.txid, coin.vout, true)) !== null;
  }

  private scanned(blocks: Array<{ height: number; block: Block }>): void {
    for (const { height, block } of blocks) {
      for (const [index, tx] of (block.transactions ?? []).entries()) {
        const txid = tx.getId();
        tx.outs.forEach((out, vout) => {
          // Late regtest coinbases carry no subsidy; a zero-value coin only costs fees to spend.
          if (out.value > 0n && sameBytes(out.script, this.script)) this.add({ txid, vout, value: BigInt(out.value), height, coinbase: index === 0 });
        });
      }
    }
  }

  private async read(from: number, to: number): Promise<Array<{ height: number; block: Block }>> {
    const blocks: Array<{ height: number; block: Block }> = [];
    for (let start = from; start <= to; start += SCAN_BATCH) {
      const heights = Array.from({ length: Math.min(SCAN_BATCH, to - start + 1) }, (_, i) => start + i);
      blocks.push(...(await Promise.all(heights.map(async (height) => ({ height, block: await this.rpc.getBlock(await this.rpc.getBlockHash(height)) })))));
    }
    return blocks;
  }

  private async mempoolSpends(): Promise<Set<string>> {
    const txids = new Set(await this.rpc.getRawMempool());
    for (const txid of this.mempoolInputs.keys()) if (!txids.has(txid)) this.mempoolInputs.delete(txid);
    for (const txid of txids) {
      if (this.mempoolInputs.has(txid)) continue;
      const tx = await this.rpc.getRawTransaction(txid);
      this.mempoolInputs.set(txid, tx.ins.map((input) => `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`));
    }
    return new Set([...this.mempoolInputs.values()].flat());
  }
}

function key(coin: { txid: string; vout: number }): string {
  return `${coin.txid}:${coin.vout}`;
}
