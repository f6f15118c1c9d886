import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { toHex } from '../bytes.ts';
import { DecodeError, Reader, Writer } from '../encoding/index.ts';
import { readMetadata, writeMetadata } from '../transaction/codec.ts';
import type { HoldingChange } from './holdings.ts';
import { LedgerState, type AssetRecord, type BurnRecord, type PegSupply } from './state.ts';
import type { FrozenUtxos } from './utxo-set.ts';

const WHAT = 'ledger snapshot';
const FORMAT = 'strongbox ledger snapshot';
const VERSION = 1;
/** The encoder hands its bytes out in pieces of about this size; its caller may yield to the event loop between them. */
const PIECE_BYTES = 1 << 18;
const HASH_BYTES = 32;
const OWNER_BYTES = 33;
const TXID_HEX = /^[0-9a-f]{64}$/;

/** The block a snapshot is the ledger after: the state once block `height`, of hash `blockHash`, was applied. */
export interface SnapshotPoint {
  height: number;
  blockHash: Uint8Array;
}

/**
 * The ledger at one height boundary, copied so that blocks applied meanwhile do not reach it: the
 * UTXO records, the lists of the holdings history and the collections of records. The records
 * themselves are shared, since the ledger replaces them and never changes one in place.
 */
export interface FrozenLedger {
  point: SnapshotPoint;
  utxos: FrozenUtxos;
  minted: string[];
  assets: AssetRecord[];
  burns: BurnRecord[];
  holdings: [ownerKey: string, changes: HoldingChange[]][];
  supply: PegSupply;
}

export function freezeLedger(ledger: LedgerState, point: SnapshotPoint): FrozenLedger {
  return {
    point: { height: point.height, blockHash: point.blockHash.slice() },
    utxos: ledger.utxos.freeze(),
    minted: [...ledger.minted],
    assets: [...ledger.assets.values()],
    burns: [...ledger.burns.values()],
    holdings: ledger.holdings.freeze(),
    supply: ledger.supply(),
  };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function hexBytes(hex: string, length: number, what: string): Uint8Array {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== length || toHex(bytes) !== hex) throw new RangeError(`${what} ${JSON.stringify(hex)} is not ${length} bytes of lowercase hex`);
  return bytes;
}

function fixedBytes(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * The canonical encoding of the whole ledger, in pieces of about 256 KiB: every collection in
 * ascending key order (strings by UTF-16 code unit, which for the equal-length lowercase hex keys
 * is byte order; UTXOs by txid bytes, then output index), so one state has one encoding, whatever
 * order its blocks or its load put it together in. The one encoder both writes a snapshot and
 * computes its digest.
 *
 * Layout: format name, version, height, block hash; pegged supply (minted, burned); assets (id,
 * issuer, metadata as an issuance writes it, height, supply, sequence, allowlist); minted Bitcoin
 * outpoints; burns (txid, destination, amount, height, settlement); the holdings history by owner,
 * each owner's changes oldest first; the distinct assets of the UTXO set's records, then its records (txid, index,
 * owner, asset by position in that list, amount, height).
 */
export function* encodeLedgerPieces(frozen: FrozenLedger): Generator<Uint8Array> {
  let w = new Writer();
  // Hands out what is written so far once it makes a piece: every collection may be large.
  function* cut() {
    if (w.size < PIECE_BYTES) return;
    yield w.finish();
    w = new Writer();
  }
  const { point, supply, utxos } = frozen;
  w.string(FORMAT).u8(VERSION).u32(point.height).bytes(fixedBytes(point.blockHash, HASH_BYTES, 'block hash'));
  w.u64(supply.minted).u64(supply.burned);

  const assets = [...frozen.assets].sort((a, b) => byString(toHex(a.id), toHex(b.id)));
  w.varint(assets.length);
  for (const asset of assets) {
    w.bytes(fixedBytes(asset.id, HASH_BYTES, 'asset id')).bytes(fixedBytes(asset.issuer, HASH_BYTES, 'asset issuer'));
    writeMetadata(w, asset.metadata);
    w.u32(asset.height).u64(asset.supply).u64(asset.sequence);
    const allowed = [...asset.allowlist].sort(byString);
    w.varint(allowed.length);
    for (const owner of allowed) w.bytes(hexBytes(owner, OWNER_BYTES, 'allowlisted owner'));
    yield* cut();
  }

  const minted = [...frozen.minted].sort(byString);
  w.varint(minted.length);
  for (const outpoint of minted) {
    w.string(outpoint);
    yield* cut();
  }

  const burns = [...frozen.burns].sort((a, b) => byString(a.txid, b.txid));
  w.varint(burns.length);
  for (const burn of burns) {
    w.bytes(hexBytes(burn.txid, HASH_BYTES, 'burn txid')).varBytes(burn.destinationScript).u64(burn.amount).u32(burn.height);
    if (burn.settlement === undefined) w.u8(0);
    else w.u8(1).bytes(hexBytes(burn.settlement.bitcoinTxid, HASH_BYTES, 'settlement txid')).u32(burn.settlement.vout).u64(burn.settlement.paidSats);
    yield* cut();
  }

  const holdings = [...frozen.holdings].sort(([a], [b]) => byString(a, b));
  w.varint(holdings.length);
  for (const [ownerKey, changes] of holdings) {
    w.bytes(hexBytes(ownerKey, OWNER_BYTES, 'holder')).varint(changes.length);
    for (const change of changes) {
      w.bytes(hexBytes(change.assetKey, HASH_BYTES, 'held asset')).u32(change.height).bytes(hexBytes(change.txid, HASH_BYTES, 'holding txid')).u64(change.balance);
      yield* cut();
    }
  }

  // The set numbers its assets as it met them; the snapshot, those some output holds, in key order.
  const held = utxos.heldAssets();
  const byKey = utxos.assetKeys.map((key, index) => ({ key, index })).filter(({ index }) => held[index]).sort((a, b) => byString(a.key, b.key));
  const rank = new Uint32Array(utxos.assetKeys.length);
  byKey.forEach(({ index }, position) => (rank[index] = position));
  w.varint(byKey.length);
  for (const { index } of byKey) w.bytes(utxos.assetBytes[index]!);
  w.u32(utxos.size);
  const txid = new Uint8Array(HASH_BYTES);
  for (const run of utxos.sortedRuns()) {
    for (const slot of run) {
      utxos.txidInto(slot, txid);
      w.bytes(txid).u32(utxos.vout(slot)).bytes(utxos.owner(slot)).varint(rank[utxos.asset(slot)]!).u64(utxos.amount(slot)).u32(utxos.height(slot));
    }
    yield* cut();
  }
  yield w.finish();
}

/** The whole encoding at once. */
export function encodeLedger(frozen: FrozenLedger): Uint8Array {
  return Buffer.concat([...encodeLedgerPieces(frozen)]);
}

/**
 * The encoding a piece at a time with a turn of the event loop after each, so that a member
 * writing a snapshot goes on deciding blocks meanwhile, and its digest once every piece is out.
 */
export function encodeLedgerSteps(frozen: FrozenLedger): { pieces: AsyncIterable<Uint8Array>; digest(): Uint8Array } {
  const hash = createHash('sha256');
  let done = false;
  async function* pieces() {
    for (const piece of encodeLedgerPieces(frozen)) {
      hash.update(piece);
      yield piece;
      await setImmediate();
    }
    done = true;
  }
  return {
    pieces: pieces(),
    digest: () => {
      if (!done) throw new Error('the ledger snapshot has pieces not encoded yet');
      return new Uint8Array(hash.digest());
    },
  };
}

/** SHA-256 of the canonical encoding, given whole or in pieces. */
export function ledgerDigest(pieces: Uint8Array | Iterable<Uint8Array>): Uint8Array {
  const hash = createHash('sha256');
  for (const piece of pieces instanceof Uint8Array ? [pieces] : pieces) hash.update(piece);
  return new Uint8Array(hash.digest());
}

/** Throws unless `key` comes strictly after `previous`: a canonical encoding lists each key once, in order. */
function ascending(previous: string | undefined, key: string, what: string): string {
  if (previous !== undefined && !(previous < key)) throw new DecodeError(WHAT, `${what} ${key} is not after ${previous}: not in canonical order`);
  return key;
}

/** The ledger a canonical encoding holds, with the block it is the state after. Refuses any bytes that are not one. */
export function decodeLedger(bytes: Uint8Array): { point: SnapshotPoint; ledger: LedgerState } {
  const r = new Reader(bytes, WHAT);
  const format = r.string('format', FORMAT.length);
  if (format !== FORMAT) throw new DecodeError(WHAT, `format ${JSON.stringify(format)} is not ${JSON.stringify(FORMAT)}`);
  const version = r.u8('version');
  if (version !== VERSION) throw new DecodeError(WHAT, `version ${version} is not ${VERSION}`);
  const point = { height: r.u32('height'), blockHash: r.bytes(HASH_BYTES, 'block hash') };
  const ledger = new LedgerState();
  ledger.setSupply({ minted: r.u64('minted'), burned: r.u64('burned') });

  let previous: string | undefined;
  for (let count = r.varint('asset count'); count > 0; count--) {
    const id = r.bytes(HASH_BYTES, 'asset id');
    const key = (previous = ascending(previous, toHex(id), 'asset'));
    const issuer = r.bytes(HASH_BYTES, 'asset issuer');
    const metadata = readMetadata(r);
    const height = r.u32('asset height');
    const supply = r.u64('asset supply');
    const sequence = r.u64('asset sequence');
    const allowlist = new Set<string>();
    let owner: string | undefined;
    for (let owners = r.varint('allowlist count'); owners > 0; owners--) allowlist.add((owner = ascending(owner, toHex(r.bytesView(OWNER_BYTES, 'allowlisted owner')), 'allowlisted owner')));
    ledger.putAsset(key, { id, issuer, metadata, height, supply, allowlist, sequence });
  }

  previous = undefined;
  for (let count = r.varint('minted count'); count > 0; count--) ledger.addMinted((previous = ascending(previous, r.string('minted outpoint', 80), 'minted outpoint')));

  previous = undefined;
  for (let count = r.varint('burn count'); count > 0; count--) {
    const txid = (previous = ascending(previous, toHex(r.bytesView(HASH_BYTES, 'burn txid')), 'burn'));
    const burn: BurnRecord = { txid, destinationScript: r.varBytes('burn destination', 10_000), amount: r.u64('burn amount'), height: r.u32('burn height') };
    const settled = r.u8('burn settled');
    if (settled > 1) throw new DecodeError(WHAT, `burn ${txid}: settled flag ${settled} is not 0 or 1`);
    if (settled === 1) burn.settlement = { bitcoinTxid: toHex(r.bytesView(HASH_BYTES, 'settlement txid')), vout: r.u32('settlement vout'), paidSats: r.u64('settlement paid') };
    ledger.putBurn(txid, burn);
  }

  previous = undefined;
  for (let count = r.varint('holder count'); count > 0; count--) {
    const owner = r.bytes(OWNER_BYTES, 'holder');
    const ownerKey = (previous = ascending(previous, toHex(owner), 'holder'));
    const changes = r.varint('holding change count');
    if (changes === 0) throw new DecodeError(WHAT, `holder ${ownerKey} has no changes`);
    for (let index = 0; index < changes; index++) {
      const assetKey = toHex(r.bytesView(HASH_BYTES, 'held asset'));
      ledger.putHolding({ assetKey, owner, ownerKey, height: r.u32('holding height'), txid: toHex(r.bytesView(HASH_BYTES, 'holding txid')), balance: r.u64('holding balance') });
    }
  }

  const assetBytes: Uint8Array[] = [];
  const assetKeys: string[] = [];
  previous = undefined;
  for (let count = r.varint('UTXO asset count'); count > 0; count--) {
    const asset = r.bytes(HASH_BYTES, 'UTXO asset');
    assetKeys.push((previous = ascending(previous, toHex(asset), 'UTXO asset')));
    assetBytes.push(asset);
  }
  let previousTxid: string | undefined;
  let previousVout = 0;
  for (let count = r.u32('UTXO count'); count > 0; count--) {
    const txid = toHex(r.bytesView(HASH_BYTES, 'UTXO txid'));
    const vout = r.u32('UTXO index');
    if (previousTxid !== undefined && (txid < previousTxid || (txid === previousTxid && vout <= previousVout))) throw new DecodeError(WHAT, `UTXO ${txid}:${vout} is not after ${previousTxid}:${previousVout}: not in canonical order`);
    previousTxid = txid;
    previousVout = vout;
    const owner = r.bytesView(OWNER_BYTES, 'UTXO owner');
    const asset = r.varint('UTXO asset', assetBytes.length - 1);
    ledger.putUtxo(`${txid}:${vout}`, { owner, asset: assetBytes[asset]!, assetKey: assetKeys[asset]!, amount: r.u64('UTXO amount'), height: r.u32('UTXO height') });
  }
  r.end();
  return { point, ledger };
}
