export { LedgerError } from './errors.ts';
export { LedgerState, LedgerOverlay, type LedgerReader, type LedgerWriter, type Utxo, type AssetRecord, type BurnRecord, type PegSupply, type UnpaidBurns } from './state.ts';
export { HoldingHistory, type Holder, type HoldingChange } from './holdings.ts';
export type { LedgerContext, TxEffects, UtxoChange, AnchorEffect, MintEffect } from './effects.ts';
export { validateTransaction } from './rules.ts';
export { applyTransaction, applyBlock, executeBlock, executeBlockWhile, writeEffects, type BlockEffects } from './apply.ts';
