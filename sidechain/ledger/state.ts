import type { AssetMetadata } from '../transaction/types.ts';
import { HoldingHistory, holdersOf, sortHolders, type Holder, type HoldingChange } from './holdings.ts';
import { UtxoSet } from './utxo-set.ts';

/** An unspent output. `assetKey` is the asset id in hex; `height` the block that created it. */
export interface Utxo {
  owner: Uint8Array;
  asset: Uint8Array;
  assetKey: string;
  amount: bigint;
  height: number;
}

/** Records are replaced, never mutated, so an overlay can share them with its base safely. */
export interface AssetRecord {
  id: Uint8Array;
  issuer: Uint8Array;
  metadata: AssetMetadata;
  /** The block that issued it: no one held it at a lower height, so no dividend can be paid at one. */
  height: number;
  supply: bigint;
  /** Owner payloads (hex) allowed to receive a restricted asset. */
  allowlist: ReadonlySet<string>;
  /** Number of registry updates applied; the next must carry sequence + 1, so none replays. */
  sequence: bigint;
}

export interface BurnRecord {
  txid: string;
  destinationScript: Uint8Array;
  amount: bigint;
  height: number;
  /** Once recorded: the settlement paying it (Bitcoin txid, hex), the output that does, and what that output pays (the burn less its fee share). */
  settlement?: { bitcoinTxid: string; vout: number; paidSats: bigint };
}

/** Pegged bitcoin counters: outstanding = minted - burned, never more than the escrow holds. */
export interface PegSupply {
  minted: bigint;
  burned: bigint;
}

/**
 * Final burns no settlement pays yet: the escrow owes their amounts to their destinations, beside
 * the pegged supply outstanding. `oldestHeight` is the height of the earliest, null when none.
 */
export interface UnpaidBurns {
  count: number;
  sats: bigint;
  oldestHeight: number | null;
}

export interface LedgerReader {
  getUtxo(key: string): Utxo | undefined;
  /** Whether `key` is unspent, for a caller that needs no more: the mempool asks it of every pending transfer's inputs after each block. */
  hasUtxo(key: string): boolean;
  /** True when the output existed but an earlier, not yet committed transaction spent it. */
  isSpent(key: string): boolean;
  isMinted(bitcoinOutpoint: string): boolean;
  getAsset(assetKey: string): AssetRecord | undefined;
  getBurn(txid: string): BurnRecord | undefined;
  supply(): PegSupply;
  /** An owner's current balance of an issued security (owner payload hex). */
  holding(assetKey: string, ownerKey: string): bigint;
  /** The owners of an issued security with a positive balance after block `height`, in canonical order. */
  holdersAt(assetKey: string, height: number): Holder[];
}

export interface LedgerWriter extends LedgerReader {
  putUtxo(key: string, utxo: Utxo): void;
  deleteUtxo(key: string): void;
  addMinted(bitcoinOutpoint: string): void;
  putAsset(assetKey: string, record: AssetRecord): void;
  putBurn(txid: string, record: BurnRecord): void;
  setSupply(supply: PegSupply): void;
  putHolding(change: HoldingChange): void;
}

/** The whole ledger in memory. The store loads into it with the put methods and reads it back by iterating. */
export class LedgerState implements LedgerWriter {
  readonly utxos = new UtxoSet();
  readonly minted = new Set<string>();
  readonly assets = new Map<string, AssetRecord>();
  readonly burns = new Map<string, BurnRecord>();
  readonly holdings = new HoldingHistory();
  private pegged: PegSupply = { minted: 0n, burned: 0n };

  getUtxo(key: string): Utxo | undefined {
    return this.utxos.get(key);
  }
  hasUtxo(key: string): boolean {
    return this.utxos.has(key);
  }
  isSpent(): boolean {
    return false;
  }
  isMinted(bitcoinOutpoint: string): boolean {
    return this.minted.has(bitcoinOutpoint);
  }
  getAsset(assetKey: string): AssetRecord | undefined {
    return this.assets.get(assetKey);
  }
  getBurn(txid: string): BurnRecord | undefined {
    return this.burns.get(txid);
  }
  supply(): PegSupply {
    return this.pegged;
  }
  unpaidBurns(): UnpaidBurns {
    const unpaid: UnpaidBurns = { count: 0, sats: 0n, oldestHeight: null };
    for (const burn of this.burns.values()) {
      if (burn.settlement !== undefined) continue;
      unpaid.count += 1;
      unpaid.sats += burn.amount;
      if (unpaid.oldestHeight === null || burn.height < unpaid.oldestHeight) unpaid.oldestHeight = burn.height;
    }
    return unpaid;
  }
  holding(assetKey: string, ownerKey: string): bigint {
    return this.holdings.balance(assetKey, ownerKey);
  }
  holdersAt(assetKey: string, height: number): Holder[] {
    return this.holdings.holdersAt(assetKey, height);
  }
  putUtxo(key: string, utxo: Utxo): void {
    this.utxos.set(key, utxo);
  }
  deleteUtxo(key: string): void {
    this.utxos.delete(key);
  }
  addMinted(bitcoinOutpoint: string): void {
    this.minted.add(bitcoinOutpoint);
  }
  putAsset(assetKey: string, record: AssetRecord): void {
    this.assets.set(assetKey, record);
  }
  putBurn(txid: string, record: BurnRecord): void {
    this.burns.set(txid, record);
  }
  setSupply(supply: PegSupply): void {
    this.pegged = supply;
  }
  putHolding(change: HoldingChange): void {
    this.holdings.record(change);
  }
}

/**
 * Copy-on-write view over a ledger: reads fall through to the base, writes stay here until
 * `commit`. A block is applied to an overlay and committed only if every transaction passed, so
 * a failing block leaves the base untouched without ever copying the UTXO set.
 */
export class LedgerOverlay implements LedgerWriter {
  private readonly added = new Map<string, Utxo>();
  private readonly spent = new Set<string>();
  private readonly minted = new Set<string>();
  private readonly assets = new Map<string, AssetRecord>();
  private readonly burns = new Map<string, BurnRecord>();
  private readonly holdings: HoldingChange[] = [];
  /** Balances the holdings above left, by asset, then owner. */
  private readonly balances = new Map<string, Map<string, bigint>>();
  private pegged: PegSupply | undefined;

  constructor(private readonly base: LedgerReader) {}

  getUtxo(key: string): Utxo | undefined {
    if (this.spent.has(key)) return undefined;
    return this.added.get(key) ?? this.base.getUtxo(key);
  }
  hasUtxo(key: string): boolean {
    return !this.spent.has(key) && (this.added.has(key) || this.base.hasUtxo(key));
  }
  isSpent(key: string): boolean {
    return this.spent.has(key) || this.base.isSpent(key);
  }
  isMinted(bitcoinOutpoint: string): boolean {
    return this.minted.has(bitcoinOutpoint) || this.base.isMinted(bitcoinOutpoint);
  }
  getAsset(assetKey: string): AssetRecord | undefined {
    return this.assets.get(assetKey) ?? this.base.getAsset(assetKey);
  }
  getBurn(txid: string): BurnRecord | undefined {
    return this.burns.get(txid) ?? this.base.getBurn(txid);
  }
  supply(): PegSupply {
    return this.pegged ?? this.base.supply();
  }
  holding(assetKey: string, ownerKey: string): bigint {
    return this.balances.get(assetKey)?.get(ownerKey) ?? this.base.holding(assetKey, ownerKey);
  }
  holdersAt(assetKey: string, height: number): Holder[] {
    const holders = new Map(this.base.holdersAt(assetKey, height).map((holder) => [holder.ownerKey, holder]));
    for (const change of this.holdings) {
      if (change.assetKey !== assetKey || change.height > height) continue;
      if (change.balance === 0n) holders.delete(change.ownerKey);
      else holders.set(change.ownerKey, { owner: change.owner, ownerKey: change.ownerKey, amount: change.balance });
    }
    return sortHolders([...holders.values()]);
  }
  putUtxo(key: string, utxo: Utxo): void {
    this.spent.delete(key);
    this.added.set(key, utxo);
  }
  deleteUtxo(key: string): void {
    this.added.delete(key);
    this.spent.add(key);
  }
  addMinted(bitcoinOutpoint: string): void {
    this.minted.add(bitcoinOutpoint);
  }
  putAsset(assetKey: string, record: AssetRecord): void {
    this.assets.set(assetKey, record);
  }
  putBurn(txid: string, record: BurnRecord): void {
    this.burns.set(txid, record);
  }
  setSupply(supply: PegSupply): void {
    this.pegged = supply;
  }
  putHolding(change: HoldingChange): void {
    this.holdings.push(change);
    holdersOf(this.balances, change.assetKey).set(change.ownerKey, change.balance);
  }

  /** Writes every change into `target` (normally the base this overlay reads from). */
  commit(target: LedgerWriter): void {
    for (const key of this.spent) target.deleteUtxo(key);
    for (const [key, utxo] of this.added) target.putUtxo(key, utxo);
    for (const key of this.minted) target.addMinted(key);
    for (const [key, record] of this.assets) target.putAsset(key, record);
    for (const [key, record] of this.burns) target.putBurn(key, record);
    if (this.pegged) target.setSupply(this.pegged);
    for (const change of this.holdings) target.putHolding(change);
  }
}
