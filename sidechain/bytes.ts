/** Whether two byte strings are the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Buffer's hex encoder, which reads any Uint8Array in place. A member makes hex keys of owners,
 * assets and outpoints several times a transfer; a Buffer made around the bytes for each (what
 * Buffer.from(bytes.buffer, …).toString('hex') does) was garbage as large as the string.
 * `hexSlice` is not in Node's documentation: it is the method `toString('hex')` itself calls, on
 * every Node since 0.x; test/unit/bytes.test.ts fails at once if a Node release drops it.
 */
const hexSlice = (Buffer.prototype as unknown as { hexSlice(this: Uint8Array, start: number, end: number): string }).hexSlice;

/** Lowercase hex of the bytes, read in place. */
export function toHex(bytes: Uint8Array): string {
  return hexSlice.call(bytes, 0, bytes.length);
}
