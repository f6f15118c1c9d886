import { Reader, Writer, DecodeError } from '../encoding/index.ts';
import { OWNER_PAYLOAD_LENGTH, MAX_MULTISIG_KEYS, checkMultisigCondition, type MultisigCondition } from '../address.ts';
import { SECURITY_KINDS, SecurityKind } from '../asset.ts';
import { StrongboxError, ValidationError } from '../errors.ts';
import {
  LIMITS, SIGHASH_EXPIRY_FLAG, SighashType, TX_VERSION, TxKind,
  type AssetMetadata, type Outpoint, type Output, type Transaction, type TxBody, type TxKindName, type Witness,
} from './types.ts';

const WHAT = 'transaction';
const KIND_NAMES = new Map<number, TxKindName>(Object.entries(TxKind).map(([name, byte]) => [byte, name as TxKindName]));
const SIGHASH_TYPES = new Set<number>(Object.values(SighashType));
const FLAG_RESTRICTED = 0x01;
const FLAG_REISSUABLE = 0x02;

// ---- encoding ----

/** An asset's metadata as an issuance carries it; the ledger snapshot writes it the same way. */
export function writeMetadata(w: Writer, m: AssetMetadata): void {
  w.string(m.name).string(m.isin).u8(SecurityKind[m.securityKind]).u8(m.decimals);
  w.u8((m.restricted ? FLAG_RESTRICTED : 0) | (m.reissuable ? FLAG_REISSUABLE : 0));
}

function writeOutpoints(w: Writer, inputs: Outpoint[]): void {
  w.varint(inputs.length);
  for (const input of inputs) w.bytes(fixed(input.txid, 32, 'input txid')).u32(input.index);
}

function writeOutputs(w: Writer, outputs: Output[]): void {
  w.varint(outputs.length);
  for (const output of outputs) {
    w.bytes(fixed(output.owner, OWNER_PAYLOAD_LENGTH, 'output owner')).bytes(fixed(output.asset, 32, 'output asset')).u64(output.amount);
  }
}

function fixed(bytes: Uint8Array, length: number, field: string): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`${field} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function writeBody(w: Writer, body: TxBody): void {
  w.u8(TX_VERSION).u8(TxKind[body.kind]);
  switch (body.kind) {
    case 'transfer':
      writeOutpoints(w, body.inputs);
      writeOutputs(w, body.outputs);
      return;
    case 'pegin':
      w.bytes(fixed(body.bitcoinTxid, 32, 'bitcoin txid')).u32(body.bitcoinVout).u64(body.amount);
      w.bytes(fixed(body.recipient, OWNER_PAYLOAD_LENGTH, 'recipient'));
      return;
    case 'pegout':
      writeOutpoints(w, body.inputs);
      writeOutputs(w, body.outputs);
      w.varBytes(body.destinationScript).u64(body.amount);
      return;
    case 'issuance': {
      w.bytes(fixed(body.issuer, 32, 'issuer')).u64(body.nonce);
      writeMetadata(w, body.metadata);
      w.u64(body.supply).bytes(fixed(body.recipient, OWNER_PAYLOAD_LENGTH, 'recipient'));
      return;
    }
    case 'registry':
      w.bytes(fixed(body.asset, 32, 'asset')).u64(body.sequence).u8(body.action === 'add' ? 0 : 1);
      w.varint(body.owners.length);
      for (const owner of body.owners) w.bytes(fixed(owner, OWNER_PAYLOAD_LENGTH, 'registry owner'));
      return;
    case 'reissuance':
      w.bytes(fixed(body.asset, 32, 'asset')).u64(body.sequence).u64(body.amount);
      w.bytes(fixed(body.recipient, OWNER_PAYLOAD_LENGTH, 'recipient'));
      return;
    case 'dividend':
      w.bytes(fixed(body.asset, 32, 'asset')).u32(body.recordHeight);
      writeOutpoints(w, body.inputs);
      writeOutputs(w, body.outputs);
      return;
    case 'anchor':
      w.u32(body.height).bytes(fixed(body.blockHash, 32, 'block hash')).bytes(fixed(body.bitcoinTxid, 32, 'bitcoin txid')).varBytes(body.bitcoinTx);
      return;
    case 'settlement':
      w.varint(body.burns.length);
      for (const burn of body.burns) w.bytes(fixed(burn, 32, 'burn txid'));
      w.bytes(fixed(body.bitcoinTxid, 32, 'bitcoin txid')).varBytes(body.bitcoinTx);
      return;
  }
}

function writeWitness(w: Writer, witness: Witness): void {
  w.u8(witness.sighash);
  const expiring = (witness.sighash & SIGHASH_EXPIRY_FLAG) !== 0;
  // One encoding per witness: the expiry is there exactly when the sighash byte says so.
  if (expiring !== (witness.expiryHeight !== undefined)) {
    throw new RangeError(`sighash 0x${witness.sighash.toString(16)} ${expiring ? 'needs' : 'has no room for'} an expiry height`);
  }
  if (witness.expiryHeight !== undefined) w.u32(witness.expiryHeight);
  if (witness.type === 'key') {
    w.u8(0).bytes(fixed(witness.signature, 64, 'signature'));
    return;
  }
  const { threshold, keys } = witness.condition;
  w.u8(1).u8(threshold).u8(keys.length);
  for (const key of keys) w.bytes(fixed(key, 32, 'multisig key'));
  for (const { keyIndex, signature } of witness.signatures) w.u8(keyIndex).bytes(fixed(signature, 64, 'signature'));
}

/**
 * The encoding of every transaction object this module decoded or encoded, and the length of its
 * unsigned part (a prefix: the body comes before the witnesses). Decoding is canonical, so the
 * bytes a transaction was decoded from are the bytes encoding it would write; and transaction
 * objects are never changed once made (ids are cached per object the same way), so the bytes stay
 * right for the object's lifetime. A received transaction's witness id, txid and stored row then
 * use the bytes it came in instead of encoding it three more times.
 */
const encodings = new WeakMap<TxBody, { bytes: Uint8Array; unsignedLength: number }>();

/** The bytes ids and ALL signatures commit to: version ‖ kind ‖ body, no witnesses. */
export function encodeUnsigned(body: TxBody): Uint8Array {
  const known = encodings.get(body);
  if (known) return known.bytes.subarray(0, known.unsignedLength);
  const w = new Writer();
  writeBody(w, body);
  return w.finish();
}

/** The bytes are shared by every caller for this transaction: read them, never write to them. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  const known = encodings.get(tx);
  if (known) return known.bytes;
  const w = new Writer();
  writeBody(w, tx);
  const unsignedLength = w.size;
  w.varint(tx.witnesses.length);
  for (const witness of tx.witnesses) writeWitness(w, witness);
  const bytes = w.finish();
  encodings.set(tx, { bytes, unsignedLength });
  return bytes;
}

/** One witness on its own, as a partial offer carries it. */
export function encodeWitness(witness: Witness): Uint8Array {
  const w = new Writer();
  writeWitness(w, witness);
  return w.finish();
}

export function encodeOutput(output: Output): Uint8Array {
  const w = new Writer();
  w.bytes(fixed(output.owner, OWNER_PAYLOAD_LENGTH, 'output owner')).bytes(fixed(output.asset, 32, 'output asset')).u64(output.amount);
  return w.finish();
}

export function encodeOutpoint(outpoint: Outpoint): Uint8Array {
  return new Writer().bytes(fixed(outpoint.txid, 32, 'txid')).u32(outpoint.index).finish();
}

// ---- decoding ----

function readOwner(r: Reader, field: string): Uint8Array {
  const owner = r.bytes(OWNER_PAYLOAD_LENGTH, field);
  if (owner[0] !== 0 && owner[0] !== 1) throw new DecodeError(WHAT, `${field} has unknown owner type ${owner[0]}`);
  return owner;
}

// The arrays of a transaction's inputs, outputs and witnesses are made at their count: V8 gives an
// empty array that is pushed to room for 17 elements, 184 bytes where one of two takes 64.

function readOutpoints(r: Reader): Outpoint[] {
  const inputs = new Array<Outpoint>(r.varint('input count', LIMITS.maxInputs));
  for (let i = 0; i < inputs.length; i++) inputs[i] = { txid: r.bytesView(32, 'input txid'), index: r.u32('input index') };
  return inputs;
}

function readOutputs(r: Reader): Output[] {
  const outputs = new Array<Output>(r.varint('output count', LIMITS.maxOutputs));
  for (let i = 0; i < outputs.length; i++) {
    // The owner is a copy: the securities register keeps it for as long as the chain lives.
    outputs[i] = { owner: readOwner(r, 'output owner'), asset: r.bytesView(32, 'output asset'), amount: r.u64('output amount') };
  }
  return outputs;
}

export function readMetadata(r: Reader): AssetMetadata {
  const name = r.string('asset name', LIMITS.maxNameBytes);
  const isin = r.string('isin', 12);
  const kindByte = r.u8('security kind');
  const securityKind = SECURITY_KINDS[kindByte];
  if (securityKind === undefined) throw new DecodeError(WHAT, `unknown security kind ${kindByte}`);
  const decimals = r.u8('decimals');
  const flags = r.u8('flags');
  if (flags & ~(FLAG_RESTRICTED | FLAG_REISSUABLE)) throw new DecodeError(WHAT, `unknown issuance flags 0x${flags.toString(16)}`);
  return { name, isin, securityKind, decimals, restricted: (flags & FLAG_RESTRICTED) !== 0, reissuable: (flags & FLAG_REISSUABLE) !== 0 };
}

function readBody(r: Reader): TxBody {
  const version = r.u8('version');
  if (version !== TX_VERSION) throw new DecodeError(WHAT, `unknown version ${version}`);
  const kindByte = r.u8('kind');
  const kind = KIND_NAMES.get(kindByte);
  switch (kind) {
    case 'transfer':
      return { kind, inputs: readOutpoints(r), outputs: readOutputs(r) };
    case 'pegin':
      return { kind, bitcoinTxid: r.bytes(32, 'bitcoin txid'), bitcoinVout: r.u32('bitcoin vout'), amount: r.u64('amount'), recipient: readOwner(r, 'recipient') };
    case 'pegout':
      return { kind, inputs: readOutpoints(r), outputs: readOutputs(r), destinationScript: r.varBytes('destination script', LIMITS.maxScriptBytes), amount: r.u64('amount') };
    case 'issuance':
      return { kind, issuer: r.bytes(32, 'issuer'), nonce: r.u64('nonce'), metadata: readMetadata(r), supply: r.u64('supply'), recipient: readOwner(r, 'recipient') };
    case 'registry': {
      const asset = r.bytes(32, 'asset');
      const sequence = r.u64('sequence');
      const actionByte = r.u8('action');
      if (actionByte > 1) throw new DecodeError(WHAT, `unknown registry action ${actionByte}`);
      const count = r.varint('owner count', LIMITS.maxRegistryAddresses);
      const owners: Uint8Array[] = [];
      for (let i = 0; i < count; i++) owners.push(readOwner(r, 'registry owner'));
      return { kind, asset, sequence, action: actionByte === 0 ? 'add' : 'remove', owners };
    }
    case 'reissuance':
      return { kind, asset: r.bytes(32, 'asset'), sequence: r.u64('sequence'), amount: r.u64('amount'), recipient: readOwner(r, 'recipient') };
    case 'dividend':
      return { kind, asset: r.bytes(32, 'asset'), recordHeight: r.u32('record height'), inputs: readOutpoints(r), outputs: readOutputs(r) };
    case 'anchor':
      return { kind, height: r.u32('height'), blockHash: r.bytes(32, 'block hash'), bitcoinTxid: r.bytes(32, 'bitcoin txid'), bitcoinTx: r.varBytes('bitcoin transaction', LIMITS.maxTxBytes) };
    case 'settlement': {
      const count = r.varint('burn count', LIMITS.maxSettledBurns);
      const burns: Uint8Array[] = [];
      for (let i = 0; i < count; i++) burns.push(r.bytes(32, 'burn txid'));
      return { kind, burns, bitcoinTxid: r.bytes(32, 'bitcoin txid'), bitcoinTx: r.varBytes('bitcoin transaction', LIMITS.maxTxBytes) };
    }
    default:
      throw new DecodeError(WHAT, `unknown kind ${kindByte}`);
  }
}

function readWitness(r: Reader): Witness {
  const sighash = r.u8('sighash type');
  if (!SIGHASH_TYPES.has(sighash)) throw new DecodeError(WHAT, `unknown sighash type 0x${sighash.toString(16)}`);
  const expiry = sighash & SIGHASH_EXPIRY_FLAG ? { expiryHeight: r.u32('expiry height') } : {};
  const type = r.u8('witness type');
  if (type === 0) return { type: 'key', sighash, ...expiry, signature: r.bytesView(64, 'signature') };
  if (type !== 1) throw new DecodeError(WHAT, `unknown witness type ${type}`);
  const threshold = r.u8('multisig threshold');
  const count = r.u8('multisig key count');
  if (count > MAX_MULTISIG_KEYS) throw new DecodeError(WHAT, `multisig has ${count} keys, above ${MAX_MULTISIG_KEYS}`);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) keys.push(r.bytesView(32, 'multisig key'));
  const condition: MultisigCondition = { threshold, keys };
  try {
    checkMultisigCondition(condition);
  } catch (error) {
    if (error instanceof StrongboxError) throw new DecodeError(WHAT, error.message);
    throw error;
  }
  const signatures = [];
  for (let i = 0; i < threshold; i++) {
    const keyIndex = r.u8('signature key index');
    // Strictly ascending indices: one encoding per signature set, and no key counted twice.
    if (keyIndex >= count || (i > 0 && keyIndex <= signatures[i - 1]!.keyIndex)) {
      throw new DecodeError(WHAT, 'multisig key indices must be ascending, distinct and in range');
    }
    signatures.push({ keyIndex, signature: r.bytesView(64, 'signature') });
  }
  return { type: 'multisig', sighash, ...expiry, condition, signatures };
}

/**
 * Throws DecodeError on anything but the one canonical encoding of a transaction. The transaction
 * keeps `bytes` as its encoding, so the caller hands them over and must not change them after.
 */
export function decodeTransaction(bytes: Uint8Array): Transaction {
  if (bytes.length > LIMITS.maxTxBytes) {
    throw new ValidationError('oversized', `transaction is ${bytes.length} bytes, above the limit ${LIMITS.maxTxBytes}`);
  }
  // Read from the copy the transaction keeps as its encoding: its input txids, output assets,
  // signatures and keys are views into it, not copies of their own, for the transaction's
  // lifetime (the UTXO set copies what it keeps of an output). A member decodes every transfer it
  // receives, and those copies were a fifth of the bytes a decoding allocated.
  const own = ownedCopy(bytes);
  const r = new Reader(own, WHAT);
  const body = readBody(r);
  const unsignedLength = r.position;
  const witnesses = new Array<Witness>(r.varint('witness count', LIMITS.maxInputs));
  for (let i = 0; i < witnesses.length; i++) witnesses[i] = readWitness(r);
  r.end();
  // Added in place, not copied by a spread: V8 (Node 20) leaves its fast path when properties
  // follow a spread, which cost about 1 µs a decoded transaction against 50 ns this way.
  const tx: Transaction = Object.assign(body, { witnesses });
  encodings.set(tx, { bytes: own, unsignedLength });
  return tx;
}

/**
 * A view into a larger buffer (a block, a network frame, Node's pool of small Buffers) is copied,
 * so that keeping a transaction never keeps that buffer alive; a Buffer is copied too, so that
 * encodeTransaction always returns a plain Uint8Array.
 */
function ownedCopy(bytes: Uint8Array): Uint8Array {
  const whole = bytes.constructor === Uint8Array && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return whole ? bytes : new Uint8Array(bytes);
}
