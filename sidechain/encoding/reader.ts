import { DecodeError } from './errors.ts';

// ignoreBOM keeps a leading U+FEFF as a character: stripping it would decode two encodings to one
// string and break the rule that whatever decodes re-encodes to the same bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Canonical binary reader, the inverse of Writer. Every read is bounds-checked and every
 * non-canonical form is refused, so one object has exactly one encoding and ids are unambiguous.
 * `what` names the object being decoded in error messages.
 */
export class Reader {
  private offset = 0;
  private readonly input: Uint8Array;
  private readonly view: DataView;

  constructor(
    input: Uint8Array,
    private readonly what: string,
  ) {
    // Decoded bytes are copies whatever the input: a plain Uint8Array's slice copies, where a
    // Buffer's (a peer frame, a request body) is a view that keeps the whole input alive for as
    // long as any field decoded from it is kept. Kept block hashes held every proposal frame so.
    // A plain array is read as it is: a member decodes every transaction it receives.
    this.input = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  private take(count: number, field: string): number {
    if (count > this.input.length - this.offset) {
      throw new DecodeError(this.what, `truncated at ${field} (offset ${this.offset}, needs ${count} more bytes)`);
    }
    const start = this.offset;
    this.offset += count;
    return start;
  }

  u8(field: string): number {
    return this.view.getUint8(this.take(1, field));
  }

  u16(field: string): number {
    return this.view.getUint16(this.take(2, field));
  }

  u32(field: string): number {
    return this.view.getUint32(this.take(4, field));
  }

  u64(field: string): bigint {
    return this.view.getBigUint64(this.take(8, field));
  }

  varint(field: string, max = 0xffffffff): number {
    let value = 0;
    for (let index = 0; index < 5; index++) {
      const byte = this.u8(field);
      value += (byte & 0x7f) * 2 ** (7 * index);
      if ((byte & 0x80) === 0) {
        if (byte === 0 && index > 0) throw new DecodeError(this.what, `non-minimal varint at ${field}`);
        if (value > max) throw new DecodeError(this.what, `${field} is ${value}, above the limit ${max}`);
        return value;
      }
    }
    throw new DecodeError(this.what, `varint too long at ${field}`);
  }

  bytes(length: number, field: string): Uint8Array {
    const start = this.take(length, field);
    return this.input.slice(start, start + length);
  }

  /**
   * Fixed-length bytes as a view into the input, not a copy: only where the input is the decoded
   * object's own copy, kept by it anyway, and the field is not kept apart from the object.
   */
  bytesView(length: number, field: string): Uint8Array {
    const start = this.take(length, field);
    return this.input.subarray(start, start + length);
  }

  varBytes(field: string, maxLength: number): Uint8Array {
    return this.bytes(this.varint(field, maxLength), field);
  }

  /**
   * Variable-length bytes as a view into the input, not a copy: for bytes the caller hashes or
   * copies before it lets the input go, such as a block's transactions, most of which a member
   * finds among those it holds by their hash and never keeps.
   */
  varBytesView(field: string, maxLength: number): Uint8Array {
    return this.bytesView(this.varint(field, maxLength), field);
  }

  string(field: string, maxLength: number): string {
    try {
      return utf8.decode(this.varBytes(field, maxLength));
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError(this.what, `${field} is not valid UTF-8`);
    }
  }

  /** Bytes read so far. */
  get position(): number {
    return this.offset;
  }

  /** Call after the last field: trailing bytes would give one object two encodings. */
  end(): void {
    if (this.offset !== this.input.length) {
      throw new DecodeError(this.what, `${this.input.length - this.offset} trailing bytes`);
    }
  }
}
