import { findDeposits } from '../../watcher/deposits.ts';
import type { FederationCoin } from '../../watcher/federation-psbt.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

/** How far below the Bitcoin tip a starting member looks for coins sent to the ops wallet: about a week of blocks. */
export const FUNDING_LOOKBACK_BLOCKS = 1_008;

/**
 * Blocks read per request: a starting member's first scan reads up to FUNDING_LOOKBACK_BLOCKS, and
 * two RPC calls per block cost five members 5.5 s of CPU on a fresh regtest chain (433 blocks).
 * Small enough that a batch of full mainnet blocks stays well under 100 MB of hex.
 */
const BLOCKS_PER_REQUEST = 10;

/**
 * Coins an operator sent to the operations wallet, found by reading Bitcoin blocks for outputs
 * paying its script. Once an anchor spends one, the chain carries the wallet on (each anchor's
 * change is the next one's input), so only top-ups need finding; a member that starts looks back
 * FUNDING_LOOKBACK_BLOCKS. What is found is only a candidate: before spending, the coin is asked
 * of the node again (a reorg may have taken it away), and every validator asks its own node.
 */
export class OpsWalletFunding {
  private readonly coins = new Map<string, FederationCoin>();
  private scannedHeight: number | undefined;
  private scannedToTip = false;
  private readonly watched: ReadonlyMap<string, Uint8Array>;

  constructor(
    private readonly rpc: BitcoinRpc,
    script: Uint8Array,
    private readonly lookbackBlocks = FUNDING_LOOKBACK_BLOCKS,
  ) {
    this.watched = new Map([[Buffer.from(script).toString('hex'), new Uint8Array()]]);
  }

  /** Reads the blocks mined since the last call. */
  async poll(): Promise<void> {
    const tip = await this.rpc.getBlockCount();
    let scanned = this.scannedHeight ?? Math.max(0, tip - this.lookbackBlocks);
    while (scanned < tip) {
      for (const { height, block } of await this.rpc.getBlocks(scanned + 1, Math.min(tip, scanned + BLOCKS_PER_REQUEST))) {
        for (const found of findDeposits(block, height, this.watched)) {
          this.coins.set(`${found.txid}:${found.vout}`, { txid: found.txid, vout: found.vout, value: found.amountSats, wallet: 'ops' });
        }
        this.scannedHeight = scanned = height;
      }
    }
    this.scannedToTip = true;
  }

  /**
   * Whether a scan has reached the node's tip once. Until then an empty wallet may only be
   * unscanned: a starting member reads up to FUNDING_LOOKBACK_BLOCKS blocks first.
   */
  get scanned(): boolean {
    return this.scannedToTip;
  }

  /** The largest confirmed funding coin the chain has not spent (`spent`), still unspent on this member's node. */
  async spendable(spent: ReadonlySet<string>): Promise<FederationCoin | undefined> {
    const candidates = [...this.coins.entries()].filter(([outpoint]) => !spent.has(outpoint)).sort(([, a], [, b]) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0));
    for (const [outpoint, coin] of candidates) {
      const out = await this.rpc.getTxOut(coin.txid, coin.vout, false);
      if (out && out.confirmations >= 1) return coin;
      if (!out) this.coins.delete(outpoint);
    }
    return undefined;
  }

  known(outpoint: string): FederationCoin | undefined {
    return this.coins.get(outpoint);
  }

  /** A coin a validator found on its node in a proposed anchor, so the anchor can be signed once final. */
  remember(coin: FederationCoin): FederationCoin {
    this.coins.set(`${coin.txid}:${coin.vout}`, coin);
    return coin;
  }

  /** Every known funding coin the chain has not spent, for the wallet's published balance. */
  unspent(spent: ReadonlySet<string>): FederationCoin[] {
    return [...this.coins.entries()].filter(([outpoint]) => !spent.has(outpoint)).map(([, coin]) => coin);
  }
}
