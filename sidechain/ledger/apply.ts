import { BTC_ASSET_KEY } from '../asset.ts';
import { toHex } from '../transaction/ids.ts';
import type { Transaction } from '../transaction/types.ts';
import type { LedgerContext, TxEffects } from './effects.ts';
import { validateTransaction } from './rules.ts';
import { LedgerOverlay, type LedgerReader, type LedgerWriter, type PegSupply, type Utxo } from './state.ts';

interface HoldingDelta {
  assetKey: string;
  owner: Uint8Array;
  ownerKey: string;
  delta: bigint;
}

/**
 * Up to this many holders a transaction's deltas are found by a scan over them, by the owner's
 * bytes, with no map and no hex made to look one up: a transfer has two or three (the payee, and
 * the payer's spent output and its change, the same holder twice). Beyond it, by a map, so that a
 * transaction of a thousand outputs stays linear.
 */
const SCANNED_HOLDERS = 8;

function sameOwner(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

/** One transaction's net change of each holder's balance of each issued security, in the order first touched. */
class HoldingDeltas {
  readonly inOrder: HoldingDelta[] = [];
  /** By asset key ‖ owner key, once there are more than SCANNED_HOLDERS. */
  private byHolder: Map<string, HoldingDelta> | undefined;

  add(utxo: Utxo, amount: bigint): void {
    if (utxo.assetKey === BTC_ASSET_KEY) return;
    let ownerKey: string | undefined;
    let entry: HoldingDelta | undefined;
    if (this.byHolder) {
      ownerKey = toHex(utxo.owner);
      entry = this.byHolder.get(utxo.assetKey + ownerKey);
    } else {
      for (const delta of this.inOrder) {
        if (delta.assetKey === utxo.assetKey && sameOwner(delta.owner, utxo.owner)) {
          entry = delta;
          break;
        }
      }
    }
    if (entry) {
      entry.delta += amount;
      return;
    }
    const created = { assetKey: utxo.assetKey, owner: utxo.owner, ownerKey: ownerKey ?? toHex(utxo.owner), delta: amount };
    this.inOrder.push(created);
    if (this.byHolder) this.byHolder.set(created.assetKey + created.ownerKey, created);
    else if (this.inOrder.length > SCANNED_HOLDERS) this.byHolder = new Map(this.inOrder.map((delta) => [delta.assetKey + delta.ownerKey, delta]));
  }
}

/** The securities register's entries for one transaction. Pegged bitcoin has no register. */
function recordHoldings(state: LedgerWriter, effects: TxEffects): void {
  const deltas = new HoldingDeltas();
  for (const { utxo } of effects.spent) deltas.add(utxo, -utxo.amount);
  for (const { utxo } of effects.created) deltas.add(utxo, utxo.amount);
  for (const { assetKey, owner, ownerKey, delta } of deltas.inOrder) {
    if (delta === 0n) continue;
    const balance = state.holding(assetKey, ownerKey) + delta;
    state.putHolding({ assetKey, owner, ownerKey, height: effects.height, txid: effects.txid, balance });
  }
}

/** Writes validated effects into a ledger; the store persists the same effects. */
export function writeEffects(state: LedgerWriter, effects: TxEffects): void {
  recordHoldings(state, effects);
  writePendingEffects(state, effects);
}

/**
 * The effects a later transaction's validation can read, without the securities register's
 * balances: what a mempool keeps of its pending transactions. No rule reads a balance but a
 * dividend, and it reads the holders at a record height below the height it is validated for,
 * which every pending change is at; so the register of pending transactions would only cost
 * their admission and every re-check a map entry per holder, never change a decision.
 */
export function writePendingEffects(state: LedgerWriter, effects: TxEffects): void {
  for (const { key } of effects.spent) state.deleteUtxo(key);
  for (const { key, utxo } of effects.created) state.putUtxo(key, utxo);
  for (const mint of effects.minted) state.addMinted(mint.outpoint);
  if (effects.burn) state.putBurn(effects.burn.txid, effects.burn);
  for (const burn of effects.settled) state.putBurn(burn.txid, burn);
  if (effects.asset) state.putAsset(Buffer.from(effects.asset.id).toString('hex'), effects.asset);
  if (effects.supply) state.setSupply(effects.supply);
}

/** Validates one transaction and, only if it passes, applies it. Throws and changes nothing otherwise. */
export function applyTransaction(state: LedgerWriter, tx: Transaction, ctx: LedgerContext): TxEffects {
  const effects = validateTransaction(state, tx, ctx);
  writeEffects(state, effects);
  return effects;
}

export interface BlockEffects {
  txs: TxEffects[];
  supply: PegSupply;
}

/**
 * Executes a block body in order, each transaction seeing the ones before it. All or nothing: the
 * work happens in an overlay that is committed only when every transaction passed.
 */
export function applyBlock(state: LedgerWriter, txs: readonly Transaction[], ctx: LedgerContext): BlockEffects {
  const { view, effects } = executeBlock(state, txs, ctx);
  view.commit(state);
  return effects;
}

/** Runs a block body against a view of `state` without touching it: for proposers and checkers. */
export function executeBlock(
  state: LedgerReader,
  txs: readonly Transaction[],
  ctx: LedgerContext,
): { view: LedgerOverlay; effects: BlockEffects } {
  return executeBlockWhile(state, txs, ctx, () => true);
}

/**
 * Runs the longest prefix of `txs` for which `more(executed)` holds before each transaction: for a
 * proposer that bounds its block by something only running it tells (the time it takes).
 */
export function executeBlockWhile(
  state: LedgerReader,
  txs: readonly Transaction[],
  ctx: LedgerContext,
  more: (executed: number) => boolean,
): { view: LedgerOverlay; effects: BlockEffects } {
  const view = new LedgerOverlay(state);
  const applied: TxEffects[] = [];
  for (const tx of txs) {
    if (!more(applied.length)) break;
    applied.push(applyTransaction(view, tx, ctx));
  }
  return { view, effects: { txs: applied, supply: view.supply() } };
}
