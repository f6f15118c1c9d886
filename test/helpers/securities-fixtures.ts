import { issuedAssetId } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { AssetMetadata, Outpoint, Transaction } from '../../sidechain/transaction/types.ts';
import { applyTransaction, type LedgerState } from '../../sidechain/ledger/index.ts';
import { CHAIN_ID, context, testKey } from './ledger-fixtures.ts';

type Key = ReturnType<typeof testKey>;

export const SHARE: AssetMetadata = { name: 'Acme AG share', isin: 'CH0012221716', securityKind: 'share', decimals: 0, restricted: false, reissuable: false };

/** Issues `supply` units of a share by `issuer` to itself at `height`; returns the asset id and the coin. */
export function issueShare(state: LedgerState, issuer: Key, supply: bigint, options: { metadata?: Partial<AssetMetadata>; height?: number; nonce?: bigint } = {}): { asset: Uint8Array; assetKey: string; coin: Outpoint } {
  const body = { kind: 'issuance' as const, issuer: issuer.publicKey, nonce: options.nonce ?? 1n, metadata: { ...SHARE, ...options.metadata }, supply, recipient: issuer.owner };
  const tx: Transaction = { ...body, witnesses: [keyWitness(CHAIN_ID, body, issuer.seed)] };
  applyTransaction(state, tx, context(options.height ?? 1));
  const asset = issuedAssetId(issuer.publicKey, body.nonce);
  return { asset, assetKey: Buffer.from(asset).toString('hex'), coin: { txid: txInfo(tx).id, index: 0 } };
}

/** A registry update or re-issuance signed by `signer` (the issuer, unless a test says otherwise). */
export function registryUpdate(asset: Uint8Array, sequence: bigint, action: 'add' | 'remove', owners: Uint8Array[], signer: Key): Transaction {
  const body = { kind: 'registry' as const, asset, sequence, action, owners };
  return { ...body, witnesses: [keyWitness(CHAIN_ID, body, signer.seed)] };
}

export function reissuance(asset: Uint8Array, sequence: bigint, amount: bigint, recipient: Uint8Array, signer: Key): Transaction {
  const body = { kind: 'reissuance' as const, asset, sequence, amount, recipient };
  return { ...body, witnesses: [keyWitness(CHAIN_ID, body, signer.seed)] };
}
