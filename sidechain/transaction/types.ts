import type { MultisigCondition } from '../address.ts';
import type { SecurityKind } from '../asset.ts';

export const TX_VERSION = 1;

/** Kind bytes are part of every encoding and id: never renumber. */
export const TxKind = {
  transfer: 1,
  pegin: 2,
  pegout: 3,
  issuance: 4,
  registry: 5,
  dividend: 6,
  anchor: 7,
  settlement: 8,
  reissuance: 9,
} as const;
export type TxKindName = keyof typeof TxKind;

/**
 * ALL signs the whole transaction; SINGLE|ANYONECANPAY signs one input and the output at its
 * index. SINGLE|ANYONECANPAY|EXPIRY (0xc3) signs the same plus the last block height that may
 * include the input: a partial offer that lapses on its own.
 */
export const SighashType = { all: 0x01, singleAnyoneCanPay: 0x83, singleAnyoneCanPayExpiry: 0xc3 } as const;

/** Sighash bit saying the witness carries an expiry height (u32) right after the sighash byte. */
export const SIGHASH_EXPIRY_FLAG = 0x40;

export const LIMITS = {
  maxTxBytes: 100_000,
  maxInputs: 1_000,
  maxOutputs: 1_000,
  maxRegistryAddresses: 1_000,
  maxSettledBurns: 1_000,
  maxScriptBytes: 80,
  maxNameBytes: 64,
  maxAmount: (1n << 63n) - 1n,
} as const;

export interface Outpoint {
  txid: Uint8Array;
  index: number;
}

/** `owner` is the 33-byte owner payload of an address; `asset` a 32-byte asset id. */
export interface Output {
  owner: Uint8Array;
  asset: Uint8Array;
  amount: bigint;
}

export interface KeySignature {
  keyIndex: number;
  signature: Uint8Array;
}

/** `expiryHeight` is present exactly when the sighash has SIGHASH_EXPIRY_FLAG. */
export type Witness =
  | { type: 'key'; sighash: number; expiryHeight?: number; signature: Uint8Array }
  | { type: 'multisig'; sighash: number; expiryHeight?: number; condition: MultisigCondition; signatures: KeySignature[] };

export interface TransferBody {
  kind: 'transfer';
  inputs: Outpoint[];
  outputs: Output[];
}

/** Authorised by federation finality, not a signature: members check the deposit on Bitcoin. */
export interface PeginBody {
  kind: 'pegin';
  bitcoinTxid: Uint8Array;
  bitcoinVout: number;
  amount: bigint;
  recipient: Uint8Array;
}

export interface PegoutBody {
  kind: 'pegout';
  inputs: Outpoint[];
  outputs: Output[];
  destinationScript: Uint8Array;
  amount: bigint;
}

export interface AssetMetadata {
  name: string;
  isin: string;
  securityKind: SecurityKind;
  decimals: number;
  restricted: boolean;
  reissuable: boolean;
}

export interface IssuanceBody {
  kind: 'issuance';
  issuer: Uint8Array;
  nonce: bigint;
  metadata: AssetMetadata;
  supply: bigint;
  recipient: Uint8Array;
}

export interface RegistryBody {
  kind: 'registry';
  asset: Uint8Array;
  sequence: bigint;
  action: 'add' | 'remove';
  owners: Uint8Array[];
}

export interface DividendBody {
  kind: 'dividend';
  asset: Uint8Array;
  recordHeight: number;
  inputs: Outpoint[];
  outputs: Output[];
}

/**
 * More units of an existing reissuable asset, authorised by its issuer key. `sequence` is the
 * asset's registry sequence (shared with registry updates), so no re-issuance can be replayed.
 */
export interface ReissuanceBody {
  kind: 'reissuance';
  asset: Uint8Array;
  sequence: bigint;
  amount: bigint;
  recipient: Uint8Array;
}

/**
 * Binds the Bitcoin transaction that writes `blockHash` at `height` into Bitcoin, before it is
 * signed, as a settlement binds its payment: whatever the members sign for an anchor is on chain
 * first, so no crash can leave an anchor on Bitcoin that the chain does not explain.
 */
export interface AnchorBody {
  kind: 'anchor';
  height: number;
  blockHash: Uint8Array;
  bitcoinTxid: Uint8Array;
  /** The unsigned Bitcoin transaction (no witnesses); its txid is `bitcoinTxid`. */
  bitcoinTx: Uint8Array;
}

/**
 * Binds final burns to the Bitcoin transaction that pays them, before it is signed: output i
 * pays burn i, an optional last output returns change to the escrow.
 */
export interface SettlementBody {
  kind: 'settlement';
  burns: Uint8Array[];
  bitcoinTxid: Uint8Array;
  /** The unsigned Bitcoin transaction (no witnesses); its txid is `bitcoinTxid`. */
  bitcoinTx: Uint8Array;
}

export type TxBody =
  | TransferBody
  | PeginBody
  | PegoutBody
  | IssuanceBody
  | RegistryBody
  | ReissuanceBody
  | DividendBody
  | AnchorBody
  | SettlementBody;

/** Treat as immutable: ids and encodings are cached per object. */
export type Transaction = TxBody & { witnesses: Witness[] };
