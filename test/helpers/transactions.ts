import { generateKeyPair, type Ed25519KeyPair } from '../../sidechain/ed25519.ts';
import { encodeAddress, keyOwner, ownerPayload } from '../../sidechain/address.ts';
import { issuedAssetId } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { AssetMetadata, DividendBody, IssuanceBody, ReissuanceBody, RegistryBody, Transaction, TransferBody } from '../../sidechain/transaction/types.ts';

export interface TestWallet {
  keys: Ed25519KeyPair;
  owner: Uint8Array;
  address: string;
}

export function testWallet(): TestWallet {
  const keys = generateKeyPair();
  const owner = keyOwner(keys.publicKey);
  return { keys, owner: ownerPayload(owner), address: encodeAddress(owner) };
}

/** An unrestricted share issued by `issuer` to itself (unless `terms` say otherwise): the simplest way to put value on a new chain. */
export function issuance(chainId: Uint8Array, issuer: TestWallet, supply: bigint, nonce = 1n, terms: Partial<AssetMetadata> = {}): { tx: Transaction; asset: Uint8Array } {
  const body: IssuanceBody = {
    kind: 'issuance',
    issuer: issuer.keys.publicKey,
    nonce,
    metadata: { name: 'Acme AB', isin: 'US0378331005', securityKind: 'share', decimals: 0, restricted: false, reissuable: false, ...terms },
    supply,
    recipient: issuer.owner,
  };
  return { tx: { ...body, witnesses: [keyWitness(chainId, body, issuer.keys.seed)] }, asset: issuedAssetId(issuer.keys.publicKey, nonce) };
}

/** Spends one output of `from` to `to`, change back to `from`. */
export function transfer(chainId: Uint8Array, from: TestWallet, input: { txid: Uint8Array; index: number; amount: bigint }, asset: Uint8Array, to: Uint8Array, amount: bigint): Transaction {
  const outputs = [{ owner: to, asset, amount }];
  if (input.amount > amount) outputs.push({ owner: from.owner, asset, amount: input.amount - amount });
  const body: TransferBody = { kind: 'transfer', inputs: [{ txid: input.txid, index: input.index }], outputs };
  return { ...body, witnesses: [keyWitness(chainId, body, from.keys.seed)] };
}

/** An allowlist update, a re-issuance or a dividend of an asset, signed by its issuer (a dividend for each input it spends). */
export function issuerSigned(chainId: Uint8Array, issuer: TestWallet, body: RegistryBody | ReissuanceBody | DividendBody): Transaction {
  const signatures = 'inputs' in body ? body.inputs.length : 1;
  return { ...body, witnesses: Array.from({ length: signatures }, (_, inputIndex) => keyWitness(chainId, body, issuer.keys.seed, { inputIndex })) };
}
