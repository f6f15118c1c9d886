/**
 * One change of an owner's balance of an issued security, as one transaction left it. Pegged
 * bitcoin has no register and is not tracked here.
 */
export interface HoldingChange {
  assetKey: string;
  /** 33-byte owner payload, and its hex (the map key). */
  owner: Uint8Array;
  ownerKey: string;
  /** Height of the block holding the transaction. */
  height: number;
  txid: string;
  /** The owner's balance of the asset after the transaction. */
  balance: bigint;
}

export interface Holder {
  owner: Uint8Array;
  ownerKey: string;
  amount: bigint;
}

/** Holders in canonical order: owner payload bytes ascending (equal-length hex sorts the same way). */
export function sortHolders(holders: Holder[]): Holder[] {
  return holders.sort((a, b) => (a.ownerKey < b.ownerKey ? -1 : a.ownerKey > b.ownerKey ? 1 : 0));
}

/** Index of the last change at or below `height` in a height-ordered list, or -1. */
function lastAtOrBelow(changes: readonly HoldingChange[], height: number): number {
  let low = 0;
  let high = changes.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (changes[middle]!.height <= height) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * The inner map of `byAsset` for one asset, made on first use. The register keeps its entries by
 * asset, then owner, in three places on every transfer's path (a transaction's deltas, the block's
 * overlay, the history), where keys joined into one string would cost a string and its hash each
 * time.
 */
export function holdersOf<T>(byAsset: Map<string, Map<string, T>>, assetKey: string): Map<string, T> {
  let holders = byAsset.get(assetKey);
  if (!holders) {
    holders = new Map();
    byAsset.set(assetKey, holders);
  }
  return holders;
}

/**
 * The securities register through time: every balance change of every holder, appended in chain
 * order. A dividend names a record height in the past, and every member must find the same holders
 * at that height, so the history is ledger state, rebuilt by replay like the UTXO set.
 */
export class HoldingHistory {
  private readonly byAsset = new Map<string, Map<string, HoldingChange[]>>();
  private readonly byOwner = new Map<string, HoldingChange[]>();

  record(change: HoldingChange): void {
    const holders = holdersOf(this.byAsset, change.assetKey);
    const changes = holders.get(change.ownerKey);
    if (changes) changes.push(change);
    else holders.set(change.ownerKey, [change]);
    const ofOwner = this.byOwner.get(change.ownerKey);
    if (ofOwner) ofOwner.push(change);
    else this.byOwner.set(change.ownerKey, [change]);
  }

  balance(assetKey: string, ownerKey: string): bigint {
    const changes = this.byAsset.get(assetKey)?.get(ownerKey);
    return changes ? changes[changes.length - 1]!.balance : 0n;
  }

  /** Owners with a positive balance once block `height` was applied, in canonical order. */
  holdersAt(assetKey: string, height: number): Holder[] {
    const holders: Holder[] = [];
    for (const [ownerKey, changes] of this.byAsset.get(assetKey) ?? []) {
      const index = lastAtOrBelow(changes, height);
      if (index < 0 || changes[index]!.balance === 0n) continue;
      holders.push({ owner: changes[index]!.owner, ownerKey, amount: changes[index]!.balance });
    }
    return sortHolders(holders);
  }

  /** Every owner's changes as they are now, oldest first: copies of the lists, which later changes do not reach. */
  freeze(): [ownerKey: string, changes: HoldingChange[]][] {
    return [...this.byOwner].map(([ownerKey, changes]) => [ownerKey, changes.slice()]);
  }

  /** Every change of one owner's holdings, oldest first. */
  historyOf(ownerKey: string): readonly HoldingChange[] {
    return this.byOwner.get(ownerKey) ?? [];
  }
}
