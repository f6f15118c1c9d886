/**
 * Canonical binary writer: big-endian fixed-width integers, a minimal varint, length-prefixed
 * byte strings. Grows its buffer geometrically so encoding a block is linear in its size.
 */
export class Writer {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    checkUint(value, 0xffff, 'u16');
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    checkUint(value, 0xffffffff, 'u32');
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${value}`);
    this.reserve(8);
    this.view.setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  /** Unsigned LEB128, at most 5 bytes (values < 2^32); the reader rejects non-minimal forms. */
  varint(value: number): this {
    checkUint(value, 0xffffffff, 'varint');
    this.reserve(5);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  /** Fixed-length bytes: the length is implied by the format, not written. */
  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** Variable-length bytes: varint length, then the bytes. */
  varBytes(value: Uint8Array): this {
    return this.varint(value.length).bytes(value);
  }

  /** UTF-8 string as varBytes. */
  string(value: string): this {
    return this.varBytes(new TextEncoder().encode(value));
  }

  /** Bytes written so far. */
  get size(): number {
    return this.length;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} out of range: ${value}`);
}
