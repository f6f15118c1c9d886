import { getRandomValues } from 'node:crypto';
import { sameBytes } from '../bytes.ts';
import type { Utxo } from './state.ts';

/**
 * Slots per chunk of the record slabs. Chunks are never copied when the set grows (a doubling
 * slab would briefly need twice the memory), and a small chunk keeps an empty ledger cheap.
 */
const CHUNK_BITS = 12;
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const TXID_WORDS = 8;
const OWNER_BYTES = 33;
const ASSET_BYTES = 32;
const MAX_UINT32 = 0xffffffff;
const MAX_UINT64 = (1n << 64n) - 1n;
/** Asset index of a free slot; its `vout` then holds the next free slot + 1 (0 ends the list). */
const FREE = MAX_UINT32;
const NO_SLOT = -1;
/** The smallest hash table; it doubles whenever it would become more than half full. */
const MIN_TABLE = 16;

/** One chunk of fixed-size records, a typed array per field: 85 bytes a record. */
interface Chunk {
  /** The txid as eight big-endian 32-bit words, in key (hex) order. */
  txid: Uint32Array;
  vout: Uint32Array;
  owner: Uint8Array;
  asset: Uint32Array;
  amount: BigUint64Array;
  height: Uint32Array;
}

function newChunk(): Chunk {
  return {
    txid: new Uint32Array(CHUNK_SLOTS * TXID_WORDS),
    vout: new Uint32Array(CHUNK_SLOTS),
    owner: new Uint8Array(CHUNK_SLOTS * OWNER_BYTES),
    asset: new Uint32Array(CHUNK_SLOTS),
    amount: new BigUint64Array(CHUNK_SLOTS),
    height: new Uint32Array(CHUNK_SLOTS),
  };
}

/**
 * The byte two lowercase hex digits name, at (first char code << 7) | second's; -1 for any other
 * pair of ASCII characters. A key is read a byte at a time, half the steps of a digit at a time.
 */
const HEX_BYTE = new Int16Array(1 << 14).fill(-1);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_BYTE[(digits.charCodeAt(0) << 7) | digits.charCodeAt(1)] = byte;
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The unspent outputs by outpoint key (txid hex ‖ ":" ‖ index), stored as fixed-size records in
 * typed arrays instead of a Map of objects: a million outputs as objects, hex keys and bigints
 * held about 870 bytes of heap each. Owners are kept inline, assets as an index into a table of
 * the few distinct assets, amounts as unsigned 64-bit words (the ledger bounds them by 2^63 - 1).
 * Lookups parse the key into the probe buffer and search an open-addressing table of slot
 * numbers; `get` builds a fresh `Utxo` each time. Iteration follows slot order, not insertion
 * order. Chunks are kept when outputs are spent: their slots are reused by later outputs.
 */
export class UtxoSet {
  private readonly chunks: Chunk[] = [];
  /** Slot + 1 per entry, 0 when empty; linear probing, deletion by backward shift (no tombstones). */
  private table = new Int32Array(MIN_TABLE);
  private count = 0;
  /** Slots ever handed out; slots below it are live or on the free list. */
  private used = 0;
  private freeHead = NO_SLOT;
  private readonly assetBytes: Uint8Array[] = [];
  private readonly assetKeys: string[] = [];
  private readonly assetIndex = new Map<string, number>();
  /** Keyed per set: txids are chosen by whoever writes the transaction, bucket collisions should not be. */
  private readonly seed = getRandomValues(new Uint32Array(TXID_WORDS + 1));
  private readonly probeTxid = new Uint32Array(TXID_WORDS);
  private probeVout = 0;

  get size(): number {
    return this.count;
  }

  /** Whether `key` is unspent here, without the `Utxo` that `get` would build. */
  has(key: string): boolean {
    return this.parseKey(key) && this.table[this.findEntry()] !== 0;
  }

  get(key: string): Utxo | undefined {
    const slot = this.parseKey(key) ? this.table[this.findEntry()]! - 1 : NO_SLOT;
    return slot === NO_SLOT ? undefined : this.utxoAt(slot);
  }

  set(key: string, utxo: Utxo): void {
    if (!this.parseKey(key)) throw new TypeError(`UTXO key ${JSON.stringify(key)} is not txid hex:index`);
    if (utxo.owner.length !== OWNER_BYTES) throw new TypeError(`UTXO ${key}: owner must be ${OWNER_BYTES} bytes, got ${utxo.owner.length}`);
    if (utxo.amount < 0n || utxo.amount > MAX_UINT64) throw new TypeError(`UTXO ${key}: amount ${utxo.amount} does not fit 64 unsigned bits`);
    if (!Number.isInteger(utxo.height) || utxo.height < 0 || utxo.height > MAX_UINT32) throw new TypeError(`UTXO ${key}: height ${utxo.height} is not a 32-bit unsigned integer`);
    const asset = this.internAsset(key, utxo);
    let entry = this.findEntry();
    let slot = this.table[entry]! - 1;
    if (slot === NO_SLOT) {
      if ((this.count + 1) * 2 > this.table.length) {
        this.resize(this.table.length * 2);
        entry = this.findEntry();
      }
      slot = this.allocateSlot();
      this.table[entry] = slot + 1;
      this.count++;
    }
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const offset = slot & (CHUNK_SLOTS - 1);
    chunk.txid.set(this.probeTxid, offset * TXID_WORDS);
    chunk.vout[offset] = this.probeVout;
    chunk.owner.set(utxo.owner, offset * OWNER_BYTES);
    chunk.asset[offset] = asset;
    chunk.amount[offset] = utxo.amount;
    chunk.height[offset] = utxo.height;
  }

  delete(key: string): boolean {
    if (!this.parseKey(key)) return false;
    const entry = this.findEntry();
    const slot = this.table[entry]! - 1;
    if (slot === NO_SLOT) return false;
    this.removeEntry(entry);
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const offset = slot & (CHUNK_SLOTS - 1);
    chunk.asset[offset] = FREE;
    chunk.vout[offset] = this.freeHead + 1;
    this.freeHead = slot;
    this.count--;
    return true;
  }

  *entries(): Generator<[string, Utxo]> {
    for (const slot of this.liveSlots()) yield [this.keyAt(slot), this.utxoAt(slot)];
  }

  *keys(): Generator<string> {
    for (const slot of this.liveSlots()) yield this.keyAt(slot);
  }

  *values(): Generator<Utxo> {
    for (const slot of this.liveSlots()) yield this.utxoAt(slot);
  }

  [Symbol.iterator](): Generator<[string, Utxo]> {
    return this.entries();
  }

  /** A copy of every record as it is now, which later writes to the set do not reach. */
  freeze(): FrozenUtxos {
    const chunks = this.chunks.slice(0, Math.ceil(this.used / CHUNK_SLOTS)).map((chunk) => ({
      txid: chunk.txid.slice(),
      vout: chunk.vout.slice(),
      owner: chunk.owner.slice(),
      asset: chunk.asset.slice(),
      amount: chunk.amount.slice(),
      height: chunk.height.slice(),
    }));
    return new FrozenUtxos(chunks, this.used, this.count, [...this.assetBytes], [...this.assetKeys]);
  }

  private *liveSlots(): Generator<number> {
    for (let slot = 0; slot < this.used; slot++) {
      if (this.chunks[slot >>> CHUNK_BITS]!.asset[slot & (CHUNK_SLOTS - 1)] !== FREE) yield slot;
    }
  }

  /** Reads a canonical key (lowercase hex, index without leading zeros) into the probe; false for any other string, which no output can have. */
  private parseKey(key: string): boolean {
    const length = key.length;
    if (length < 66 || length > 75 || key.charCodeAt(64) !== 58) return false;
    for (let word = 0; word < TXID_WORDS; word++) {
      let value = 0;
      for (let i = word * 8; i < word * 8 + 8; i += 2) {
        const first = key.charCodeAt(i);
        const second = key.charCodeAt(i + 1);
        const byte = (first | second) < 128 ? HEX_BYTE[(first << 7) | second]! : -1;
        if (byte < 0) return false;
        value = (value << 8) | byte;
      }
      this.probeTxid[word] = value;
    }
    if (length > 66 && key.charCodeAt(65) === 48) return false;
    let vout = 0;
    for (let i = 65; i < length; i++) {
      const digit = key.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return false;
      vout = vout * 10 + digit;
    }
    if (vout > MAX_UINT32) return false;
    this.probeVout = vout;
    return true;
  }

  private hash(txid: Uint32Array, at: number, vout: number): number {
    const seed = this.seed;
    let h = vout ^ seed[TXID_WORDS]!;
    for (let word = 0; word < TXID_WORDS; word++) h = fmix32(h ^ Math.imul(txid[at + word]! ^ seed[word]!, 0x9e3779b1));
    return h;
  }

  /** The table entry holding the probe's slot, or the empty entry where it would go. */
  private findEntry(): number {
    const mask = this.table.length - 1;
    const probe = this.probeTxid;
    for (let entry = this.hash(probe, 0, this.probeVout) & mask; ; entry = (entry + 1) & mask) {
      const slot = this.table[entry]! - 1;
      if (slot === NO_SLOT) return entry;
      const chunk = this.chunks[slot >>> CHUNK_BITS]!;
      const offset = slot & (CHUNK_SLOTS - 1);
      if (chunk.vout[offset] !== this.probeVout) continue;
      const at = offset * TXID_WORDS;
      let same = true;
      for (let word = 0; word < TXID_WORDS && same; word++) same = chunk.txid[at + word] === probe[word];
      if (same) return entry;
    }
  }

  private homeOf(slot: number, mask: number): number {
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const offset = slot & (CHUNK_SLOTS - 1);
    return this.hash(chunk.txid, offset * TXID_WORDS, chunk.vout[offset]!) & mask;
  }

  /** Empties `entry` and moves later entries of its probe run back, so every lookup still reaches its slot. */
  private removeEntry(entry: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let hole = entry;
    for (let next = (hole + 1) & mask; table[next] !== 0; next = (next + 1) & mask) {
      const home = this.homeOf(table[next]! - 1, mask);
      // The entry may move into the hole only if its home is not between the hole and it (cyclically).
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        table[hole] = table[next]!;
        hole = next;
      }
    }
    table[hole] = 0;
  }

  private resize(capacity: number): void {
    const old = this.table;
    const table = new Int32Array(capacity);
    const mask = capacity - 1;
    for (const value of old) {
      if (value === 0) continue;
      let entry = this.homeOf(value - 1, mask);
      while (table[entry] !== 0) entry = (entry + 1) & mask;
      table[entry] = value;
    }
    this.table = table;
  }

  private allocateSlot(): number {
    if (this.freeHead !== NO_SLOT) {
      const slot = this.freeHead;
      this.freeHead = this.chunks[slot >>> CHUNK_BITS]!.vout[slot & (CHUNK_SLOTS - 1)]! - 1;
      return slot;
    }
    if (this.used === this.chunks.length * CHUNK_SLOTS) this.chunks.push(newChunk());
    return this.used++;
  }

  private internAsset(key: string, utxo: Utxo): number {
    const known = this.assetIndex.get(utxo.assetKey);
    if (known !== undefined) {
      if (!sameBytes(this.assetBytes[known]!, utxo.asset)) throw new TypeError(`UTXO ${key}: asset bytes differ from asset key ${utxo.assetKey}`);
      return known;
    }
    if (utxo.asset.length !== ASSET_BYTES) throw new TypeError(`UTXO ${key}: asset must be ${ASSET_BYTES} bytes, got ${utxo.asset.length}`);
    if (Buffer.from(utxo.asset).toString('hex') !== utxo.assetKey) throw new TypeError(`UTXO ${key}: asset key ${utxo.assetKey} is not the asset's hex`);
    const index = this.assetBytes.length;
    // A copy: the caller's array may be a view into a whole decoded transaction.
    this.assetBytes.push(Uint8Array.from(utxo.asset));
    this.assetKeys.push(utxo.assetKey);
    this.assetIndex.set(utxo.assetKey, index);
    return index;
  }

  private keyAt(slot: number): string {
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const offset = slot & (CHUNK_SLOTS - 1);
    let hex = '';
    for (let word = 0; word < TXID_WORDS; word++) hex += chunk.txid[offset * TXID_WORDS + word]!.toString(16).padStart(8, '0');
    return `${hex}:${chunk.vout[offset]}`;
  }

  private utxoAt(slot: number): Utxo {
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const offset = slot & (CHUNK_SLOTS - 1);
    const asset = chunk.asset[offset]!;
    return {
      owner: chunk.owner.slice(offset * OWNER_BYTES, (offset + 1) * OWNER_BYTES),
      asset: this.assetBytes[asset]!,
      assetKey: this.assetKeys[asset]!,
      amount: chunk.amount[offset]!,
      height: chunk.height[offset]!,
    };
  }
}

/**
 * The records of a UtxoSet at one moment, read in canonical order (txid bytes, then output index)
 * for the ledger snapshot: sorted a run at a time, one run per first byte of the txid, so whoever
 * encodes them can yield between runs. Txids are hashes, so the runs are of about equal size.
 */
export class FrozenUtxos {
  constructor(
    private readonly chunks: readonly Chunk[],
    private readonly used: number,
    readonly size: number,
    /** The distinct assets, by the index `asset(slot)` gives. */
    readonly assetBytes: readonly Uint8Array[],
    readonly assetKeys: readonly string[],
  ) {}

  /** The live slots in canonical order, one run per first txid byte, each sorted when it is reached. */
  *sortedRuns(): Generator<Uint32Array> {
    const starts = new Uint32Array(257);
    for (let slot = 0; slot < this.used; slot++) if (this.isLive(slot)) starts[this.firstByte(slot) + 1]!++;
    for (let byte = 0; byte < 256; byte++) starts[byte + 1]! += starts[byte]!;
    const slots = new Uint32Array(this.size);
    const next = starts.slice(0, 256);
    for (let slot = 0; slot < this.used; slot++) if (this.isLive(slot)) slots[next[this.firstByte(slot)]!++] = slot;
    for (let byte = 0; byte < 256; byte++) {
      const run = slots.subarray(starts[byte]!, starts[byte + 1]!);
      if (run.length > 0) yield run.sort((a, b) => this.compare(a, b));
    }
  }

  /** Whether any record is of each asset: the set keeps the assets of outputs long spent. */
  heldAssets(): boolean[] {
    const held = this.assetKeys.map(() => false);
    for (let slot = 0; slot < this.used; slot++) if (this.isLive(slot)) held[this.asset(slot)] = true;
    return held;
  }

  /** The slot's txid, 32 bytes, into `out`. */
  txidInto(slot: number, out: Uint8Array): void {
    const chunk = this.chunks[slot >>> CHUNK_BITS]!;
    const at = (slot & (CHUNK_SLOTS - 1)) * TXID_WORDS;
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let word = 0; word < TXID_WORDS; word++) view.setUint32(word * 4, chunk.txid[at + word]!);
  }

  vout(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.vout[slot & (CHUNK_SLOTS - 1)]!;
  }

  /** A view of the slot's owner payload, valid for as long as this copy is. */
  owner(slot: number): Uint8Array {
    const offset = (slot & (CHUNK_SLOTS - 1)) * OWNER_BYTES;
    return this.chunks[slot >>> CHUNK_BITS]!.owner.subarray(offset, offset + OWNER_BYTES);
  }

  asset(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.asset[slot & (CHUNK_SLOTS - 1)]!;
  }

  amount(slot: number): bigint {
    return this.chunks[slot >>> CHUNK_BITS]!.amount[slot & (CHUNK_SLOTS - 1)]!;
  }

  height(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.height[slot & (CHUNK_SLOTS - 1)]!;
  }

  private isLive(slot: number): boolean {
    return this.chunks[slot >>> CHUNK_BITS]!.asset[slot & (CHUNK_SLOTS - 1)] !== FREE;
  }

  private firstByte(slot: number): number {
    return this.chunks[slot >>> CHUNK_BITS]!.txid[(slot & (CHUNK_SLOTS - 1)) * TXID_WORDS]! >>> 24;
  }

  private compare(a: number, b: number): number {
    const chunkA = this.chunks[a >>> CHUNK_BITS]!;
    const chunkB = this.chunks[b >>> CHUNK_BITS]!;
    const offsetA = a & (CHUNK_SLOTS - 1);
    const offsetB = b & (CHUNK_SLOTS - 1);
    for (let word = 0; word < TXID_WORDS; word++) {
      const wordA = chunkA.txid[offsetA * TXID_WORDS + word]!;
      const wordB = chunkB.txid[offsetB * TXID_WORDS + word]!;
      if (wordA !== wordB) return wordA < wordB ? -1 : 1;
    }
    return chunkA.vout[offsetA]! - chunkB.vout[offsetB]!;
  }
}
