import type { Genesis } from '../../sidechain/genesis.ts';
import { decodeUnsignedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';

/** A Bitcoin output the escrow holds: a minted deposit (tweaked for its recipient) or settlement change. */
export interface EscrowCoin {
  txid: string;
  vout: number;
  value: bigint;
  /** The deposit's sidechain recipient; absent for change, which pays the untweaked escrow. */
  recipient?: Uint8Array;
}

/**
 * The escrow's coins as the final chain defines them: every mint adds its deposit (the minted
 * amount plus the genesis peg-in fee), every settlement spends its inputs and adds its change.
 * A pure function of the chain, so every member derives the same set in the same order.
 */
export class EscrowCoins {
  private readonly coins = new Map<string, EscrowCoin>();
  /** Everything that ever entered the escrow by deposit, and everything that left it for burns (payments and their fees). */
  depositedSats = 0n;
  withdrawnSats = 0n;

  constructor(private readonly genesis: Genesis) {}

  apply(tx: Transaction): void {
    if (tx.kind === 'pegin') {
      const value = tx.amount + BigInt(this.genesis.file.pegin.feeSats);
      const txid = Buffer.from(tx.bitcoinTxid).toString('hex');
      this.coins.set(`${txid}:${tx.bitcoinVout}`, { txid, vout: tx.bitcoinVout, value, recipient: tx.recipient });
      this.depositedSats += value;
    } else if (tx.kind === 'settlement') {
      const bitcoinTx = decodeUnsignedBitcoinTx(tx.bitcoinTx);
      let spent = 0n;
      for (const input of bitcoinTx.inputs) {
        const key = `${input.txid}:${input.vout}`;
        spent += this.coins.get(key)?.value ?? 0n;
        this.coins.delete(key);
      }
      const change = bitcoinTx.outputs[tx.burns.length];
      if (change) this.coins.set(`${bitcoinTx.txid}:${tx.burns.length}`, { txid: bitcoinTx.txid, vout: tx.burns.length, value: change.value });
      this.withdrawnSats += spent - (change?.value ?? 0n);
    }
  }

  get(outpoint: string): EscrowCoin | undefined {
    return this.coins.get(outpoint);
  }

  /** Oldest first. */
  list(): EscrowCoin[] {
    return [...this.coins.values()];
  }

  get totalSats(): bigint {
    let total = 0n;
    for (const coin of this.coins.values()) total += coin.value;
    return total;
  }

  copy(): EscrowCoins {
    const copy = new EscrowCoins(this.genesis);
    for (const [key, coin] of this.coins) copy.coins.set(key, coin);
    copy.depositedSats = this.depositedSats;
    copy.withdrawnSats = this.withdrawnSats;
    return copy;
  }
}
