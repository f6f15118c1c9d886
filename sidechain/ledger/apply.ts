import type { Transaction } from '../transaction/types.ts';
import type { LedgerContext, TxEffects } from './effects.ts';
import { validateTransaction } from './rules.ts';
import { LedgerOverlay, type LedgerReader, type LedgerWriter, type PegSupply } from './state.ts';

/** Writes validated effects into a ledger; the store persists the same effects. */
export function writeEffects(state: LedgerWriter, effects: TxEffects): void {
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
  const view = new LedgerOverlay(state);
  const applied = txs.map((tx) => applyTransaction(view, tx, ctx));
  return { view, effects: { txs: applied, supply: view.supply() } };
}
