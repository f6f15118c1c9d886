import { LedgerState } from '../../sidechain/ledger/index.ts';
import type { SnapshotPoint } from '../../sidechain/ledger/snapshot.ts';
import type { AssetMetadata } from '../../sidechain/transaction/types.ts';

/** test/vectors/ledger-snapshot.json: a ledger written out field by field, amounts as decimal strings. */
export interface LedgerVector {
  height: number;
  blockHash: string;
  supply: { minted: string; burned: string };
  assets: { id: string; issuer: string; metadata: AssetMetadata; height: number; supply: string; sequence: string; allowlist: string[] }[];
  minted: string[];
  burns: { txid: string; destinationScript: string; amount: string; height: number; settlement?: { bitcoinTxid: string; vout: number; paidSats: string } }[];
  /** In chain order. */
  holdings: { assetKey: string; owner: string; height: number; txid: string; balance: string }[];
  utxos: { key: string; owner: string; asset: string; amount: string; height: number }[];
  bytes: string;
  digest: string;
}

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** The ledger the vector lists, put together in the order it lists things. */
export function ledgerFromVector(vector: LedgerVector): { ledger: LedgerState; point: SnapshotPoint } {
  const ledger = new LedgerState();
  ledger.setSupply({ minted: BigInt(vector.supply.minted), burned: BigInt(vector.supply.burned) });
  for (const asset of vector.assets) {
    ledger.putAsset(asset.id, { id: bytes(asset.id), issuer: bytes(asset.issuer), metadata: asset.metadata, height: asset.height, supply: BigInt(asset.supply), sequence: BigInt(asset.sequence), allowlist: new Set(asset.allowlist) });
  }
  for (const outpoint of vector.minted) ledger.addMinted(outpoint);
  for (const burn of vector.burns) {
    const { settlement } = burn;
    ledger.putBurn(burn.txid, {
      txid: burn.txid,
      destinationScript: bytes(burn.destinationScript),
      amount: BigInt(burn.amount),
      height: burn.height,
      ...(settlement && { settlement: { bitcoinTxid: settlement.bitcoinTxid, vout: settlement.vout, paidSats: BigInt(settlement.paidSats) } }),
    });
  }
  for (const change of vector.holdings) ledger.putHolding({ assetKey: change.assetKey, owner: bytes(change.owner), ownerKey: change.owner, height: change.height, txid: change.txid, balance: BigInt(change.balance) });
  for (const utxo of vector.utxos) ledger.putUtxo(utxo.key, { owner: bytes(utxo.owner), asset: bytes(utxo.asset), assetKey: utxo.asset, amount: BigInt(utxo.amount), height: utxo.height });
  return { ledger, point: { height: vector.height, blockHash: bytes(vector.blockHash) } };
}
