import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Reader, Writer, DecodeError } from '../../sidechain/encoding/index.ts';

type Field = [string, (number | string)?];
const vectors = JSON.parse(readFileSync(new URL('../vectors/encoding.json', import.meta.url), 'utf8')) as {
  valid: { description: string; fields: Field[]; hex: string }[];
  invalid: { description: string; hex: string; reads: Field[]; error: string }[];
};
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function write(w: Writer, [type, value]: Field): void {
  if (type === 'u64') w.u64(BigInt(value as string));
  else if (type === 'bytes' || type === 'varBytes') w[type](fromHex(value as string));
  else if (type === 'string') w.string(value as string);
  else (w[type as 'u8' | 'u16' | 'u32' | 'varint'] as (v: number) => Writer)(value as number);
}

function read(r: Reader, [type, limit]: Field, expected?: number | string): unknown {
  switch (type) {
    case 'u64':
      return r.u64('field').toString();
    case 'bytes':
      return toHex(r.bytes(fromHex(expected as string).length, 'field'));
    case 'varBytes':
      return toHex(r.varBytes('field', (limit as number | undefined) ?? 1000));
    case 'string':
      return r.string('field', (limit as number | undefined) ?? 1000);
    case 'varint':
      return limit === undefined ? r.varint('field') : r.varint('field', limit as number);
    default:
      return (r[type as 'u8' | 'u16' | 'u32'] as (f: string) => number)('field');
  }
}

describe('canonical encoding vectors', () => {
  for (const vector of vectors.valid) {
    it(`encodes and decodes: ${vector.description}`, () => {
      const w = new Writer();
      for (const field of vector.fields) write(w, field);
      expect(toHex(w.finish())).to.equal(vector.hex);
      const r = new Reader(fromHex(vector.hex), 'vector');
      for (const field of vector.fields) expect(read(r, [field[0]], field[1])).to.deep.equal(field[1]);
      r.end();
    });
  }
  for (const vector of vectors.invalid) {
    it(`rejects with a DecodeError: ${vector.description}`, () => {
      const r = new Reader(fromHex(vector.hex), 'vector');
      const attempt = () => {
        for (const field of vector.reads) read(r, field);
        r.end();
      };
      expect(attempt).to.throw(DecodeError, vector.error);
    });
  }
});

describe('canonical encoding properties', () => {
  it('round-trips every varint and u64, and every varint encoding is the minimal one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n, big) => {
        const bytes = new Writer().varint(n).u64(big).finish();
        const r = new Reader(bytes, 'property');
        expect(r.varint('n')).to.equal(n);
        expect(r.u64('big')).to.equal(big);
        r.end();
        expect(bytes.length - 8).to.equal(Math.max(1, Math.ceil(Math.log2(n + 1) / 7)));
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws anything but a DecodeError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const r = new Reader(bytes, 'fuzz');
        try {
          r.varint('a');
          r.string('b', 20);
          r.u64('c');
          r.end();
        } catch (error) {
          expect(error).to.be.instanceOf(DecodeError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses out-of-range values when writing', () => {
    expect(() => new Writer().u8(256)).to.throw(RangeError);
    expect(() => new Writer().u64(-1n)).to.throw(RangeError);
    expect(() => new Writer().varint(2 ** 32)).to.throw(RangeError);
    expect(() => new Writer().u16(1.5)).to.throw(RangeError);
  });

  // A kept field that was a view would keep its whole source (a peer frame of megabytes) alive.
  for (const [what, input] of [['a Buffer', Buffer.alloc(1_024, 7)], ['a view into a larger array', new Uint8Array(2_048).fill(7).subarray(512, 1_536)]] as const) {
    it(`decodes bytes that own their memory from ${what}`, () => {
      const field = new Reader(input, 'test').bytes(32, 'field');
      expect(field.buffer.byteLength).to.equal(32);
      expect(field.buffer).to.not.equal(input.buffer);
      expect(toHex(field)).to.equal('07'.repeat(32));
    });
  }
});
