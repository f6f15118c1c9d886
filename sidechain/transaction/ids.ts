import { toHex } from '../bytes.ts';
import { taggedHash, taggedHashHex } from '../hash.ts';
import { BTC_ASSET_ID, issuedAssetId } from '../asset.ts';
import { decodeTransaction, encodeTransaction, encodeUnsigned } from './codec.ts';
import type { Outpoint, Output, Transaction, TxBody, Witness } from './types.ts';

export { toHex } from '../bytes.ts';

/** The UTXO map key of an outpoint: txid hex ‖ ":" ‖ index. */
export function outpointKey(txid: Uint8Array, index: number): string {
  return `${toHex(txid)}:${index}`;
}

/** The key of a Bitcoin outpoint in the minted set; txid in RPC display order, as in the mint. */
export function bitcoinOutpointKey(txid: Uint8Array, vout: number): string {
  return `${toHex(txid)}:${vout}`;
}

/**
 * Derived facts about a transaction, computed once per object: validation, the mempool and the
 * store all need the id and the keys, and re-encoding on each use would dominate the hot path.
 */
export interface TxInfo {
  unsigned: Uint8Array;
  /** taggedHash("Strongbox/tx", unsigned): witnesses excluded, so a signature cannot change an id. */
  id: Uint8Array;
  idHex: string;
  /** Length of the full encoding, witnesses included. */
  size: number;
  inputKeys: string[];
  outputs: Output[];
  /** UTXO keys of the outputs: one string each, so every lookup of the same key reuses its hash. */
  outputKeys: string[];
  outputAssetKeys: string[];
  /** The message its ALL witnesses sign on the chain named, once computed (sighash.ts). */
  allMessage: { chainId: Uint8Array; message: Uint8Array } | undefined;
}

const cache = new WeakMap<Transaction, TxInfo>();

export function txInfo(tx: Transaction): TxInfo {
  let info = cache.get(tx);
  if (!info) {
    const unsigned = encodeUnsigned(tx);
    const id = taggedHash('Strongbox/tx', unsigned);
    const outputs = createdOutputs(tx);
    const idHex = toHex(id);
    info = {
      unsigned,
      id,
      idHex,
      size: unsigned.length + witnessesSize(tx.witnesses),
      inputKeys: inputsOf(tx).map((input) => outpointKey(input.txid, input.index)),
      outputs,
      outputKeys: outputs.map((_, index) => `${idHex}:${index}`),
      outputAssetKeys: outputs.map((output) => toHex(output.asset)),
      allMessage: undefined,
    };
    cache.set(tx, info);
  }
  return info;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Size of the witness section as encodeTransaction writes it, without encoding it again. */
function witnessesSize(witnesses: Witness[]): number {
  let size = varintSize(witnesses.length);
  for (const w of witnesses) {
    size += (w.expiryHeight === undefined ? 0 : 4) + (w.type === 'key' ? 66 : 4 + 32 * w.condition.keys.length + 65 * w.signatures.length);
  }
  return size;
}

export function txId(tx: Transaction): Uint8Array {
  return txInfo(tx).id;
}

const witnessIds = new WeakMap<Transaction, Uint8Array>();
const WITNESS_ID_TAG = 'Strongbox/wtx';

/** Commits to the witnesses too, so a block's Merkle root pins the exact signed bytes. */
export function witnessTxId(tx: Transaction): Uint8Array {
  let id = witnessIds.get(tx);
  if (!id) {
    id = taggedHash(WITNESS_ID_TAG, encodeTransaction(tx));
    witnessIds.set(tx, id);
  }
  return id;
}

/** Looks up a transaction already held decoded by its witness id (hex). */
export type KnownTransactions = (witnessIdHex: string) => Transaction | undefined;

/**
 * The transaction a canonical encoding holds. When `known` holds a transaction of the witness id
 * of these very bytes (a mempool's), that one is returned instead of decoding the bytes again,
 * its ids already computed: a witness id commits to every byte of the encoding, and a canonical
 * encoding has one decoding. The lookup's id is hashed straight to hex, where a member checking a
 * proposal of transactions it holds made an id array, then its hex, for each; a transaction
 * decoded instead hashes its witness id again from its own bytes when that is asked.
 */
export function transactionFromEncoding(bytes: Uint8Array, known?: KnownTransactions): Transaction {
  const held = known?.(taggedHashHex(WITNESS_ID_TAG, bytes));
  return held ?? decodeTransaction(bytes);
}

export function inputsOf(body: TxBody): Outpoint[] {
  return body.kind === 'transfer' || body.kind === 'pegout' || body.kind === 'dividend' ? body.inputs : [];
}

/** Outputs a transaction creates, in index order: a mint, an issuance and a re-issuance create exactly one. */
export function createdOutputs(body: TxBody): Output[] {
  switch (body.kind) {
    case 'transfer':
    case 'pegout':
    case 'dividend':
      return body.outputs;
    case 'pegin':
      return [{ owner: body.recipient, asset: BTC_ASSET_ID, amount: body.amount }];
    case 'issuance':
      return [{ owner: body.recipient, asset: issuedAssetId(body.issuer, body.nonce), amount: body.supply }];
    case 'reissuance':
      return [{ owner: body.recipient, asset: body.asset, amount: body.amount }];
    default:
      return [];
  }
}
