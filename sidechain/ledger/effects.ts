import type { AssetRecord, BurnRecord, PegSupply, Utxo } from './state.ts';
import type { TxKindName } from '../transaction/types.ts';

export interface UtxoChange {
  key: string;
  utxo: Utxo;
}

/** A peg-in mint; `outpoint` is the key of the minted set: Bitcoin txid hex ‖ ":" ‖ vout. */
export interface MintEffect {
  outpoint: string;
  bitcoinTxid: Uint8Array;
  bitcoinVout: number;
  amount: bigint;
}

export interface AnchorEffect {
  height: number;
  blockHash: Uint8Array;
  bitcoinTxid: Uint8Array;
}

/**
 * Everything one transaction changes, as data: the ledger writes it into its state and the store
 * persists the same records per block, so both always agree.
 */
export interface TxEffects {
  txid: string;
  kind: TxKindName;
  /** Height of the block the transaction is applied in: the securities register records it. */
  height: number;
  spent: UtxoChange[];
  created: UtxoChange[];
  minted: MintEffect[];
  burn?: BurnRecord;
  asset?: AssetRecord;
  anchor?: AnchorEffect;
  /** Burns (txid hex) settled by one Bitcoin transaction; their updated records are in `settled`. */
  settled: BurnRecord[];
  supply?: PegSupply;
}

export interface LedgerContext {
  chainId: Uint8Array;
  /** Height of the block the transaction is (or will be) in; created outputs carry it. */
  height: number;
  /** Hash of an earlier block of this chain, when the caller can tell; anchors are checked against it. */
  blockHash?(height: number): Uint8Array | undefined;
  /** The genesis's smallest peg-out: a smaller burn could never be paid after the Bitcoin fee. */
  pegoutMinimumSats?: bigint;
  /**
   * The federation's own Bitcoin scripts (lowercase hex), each with the reason no peg-out may pay
   * it: BTC the federation pays itself is lost to the user who burned it.
   */
  refusedPegoutDestinations?: ReadonlyMap<string, string>;
}
