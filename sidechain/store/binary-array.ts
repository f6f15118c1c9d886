/**
 * One-dimensional arrays in PostgreSQL's binary format (what `array_recv` reads), for the column
 * parameters of a block's statement. node-postgres sends a Buffer parameter as binary, as is,
 * whereas it sends a JavaScript array as text, every bytea element as escaped hex: building that
 * text was a good part of a member's cost of storing a block, and parsing it back (`array_in`) a
 * good part of the server's. The server checks the element type against the parameter's, so a
 * mismatch is an error, never a misread.
 */
const ELEMENT_TYPE = { int2: 21, int4: 23, bytea: 17 } as const;
const HEADER_BYTES = 20;

function arrayOf(type: keyof typeof ELEMENT_TYPE, count: number, elementBytes: number, writeElements: (out: Buffer, offset: number) => void): Buffer {
  if (count === 0) {
    const empty = Buffer.alloc(12);
    empty.writeInt32BE(ELEMENT_TYPE[type], 8);
    return empty;
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + count * 4 + elementBytes);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(0, 4); // no nulls
  out.writeInt32BE(ELEMENT_TYPE[type], 8);
  out.writeInt32BE(count, 12);
  out.writeInt32BE(1, 16); // lower bound
  writeElements(out, HEADER_BYTES);
  return out;
}

export function byteaArray(values: readonly Uint8Array[]): Buffer {
  const bytes = values.reduce((sum, value) => sum + value.length, 0);
  return arrayOf('bytea', values.length, bytes, (out, start) => {
    let offset = start;
    for (const value of values) {
      offset = out.writeInt32BE(value.length, offset);
      out.set(value, offset);
      offset += value.length;
    }
  });
}

export function int4Array(values: readonly number[]): Buffer {
  return arrayOf('int4', values.length, values.length * 4, (out, start) => {
    let offset = start;
    for (const value of values) offset = out.writeInt32BE(value, out.writeInt32BE(4, offset));
  });
}

export function int2Array(values: readonly number[]): Buffer {
  return arrayOf('int2', values.length, values.length * 2, (out, start) => {
    let offset = start;
    for (const value of values) offset = out.writeInt16BE(value, out.writeInt32BE(2, offset));
  });
}
