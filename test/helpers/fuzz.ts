import { expect } from 'chai';
import fc from 'fast-check';
import { StrongboxError } from '../../sidechain/errors.ts';

/**
 * Property-based fuzzing of the surfaces where untrusted input enters: decoders, documents,
 * the HTTP API and the CLI. Every surface has a default number of cases that keeps `npm test`
 * short; `FUZZ_RUNS=10000 npm test` (or any number) runs that many cases on every surface.
 * `FUZZ_SEED` replays a failing run with the seed fast-check printed.
 */
export function fuzzRuns(defaultRuns: number): number {
  const configured = process.env.FUZZ_RUNS;
  if (configured === undefined || configured === '') return defaultRuns;
  if (!/^[1-9][0-9]*$/.test(configured)) throw new Error(`FUZZ_RUNS must be a positive integer, got ${JSON.stringify(configured)}`);
  return Number(configured);
}

function seed(): { seed?: number } {
  const configured = process.env.FUZZ_SEED;
  return configured ? { seed: Number(configured) } : {};
}

/** Checks `predicate` on `runs` generated inputs; a failure reports the shrunk input and the seed. */
export function fuzz<T>(arbitrary: fc.Arbitrary<T>, runs: number, predicate: (input: T) => void): void {
  fc.assert(
    fc.property(arbitrary, (input) => {
      predicate(input);
    }),
    { numRuns: runs, ...seed() },
  );
}

/** The same for inputs that need I/O (HTTP requests, processes). */
export async function fuzzAsync<T>(arbitrary: fc.Arbitrary<T>, runs: number, predicate: (input: T) => Promise<void>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      await predicate(input);
    }),
    { numRuns: runs, ...seed() },
  );
}

/**
 * For slow cases (processes): `concurrency` at a time, no shrinking; a failure names the input
 * and the seed, which FUZZ_SEED takes to draw the same inputs again.
 */
export async function fuzzInParallel<T>(arbitrary: fc.Arbitrary<T>, runs: number, concurrency: number, check: (input: T) => Promise<void>): Promise<void> {
  const drawn = seed().seed ?? Math.floor(Math.random() * 2 ** 31);
  const inputs = fc.sample(arbitrary, { numRuns: runs, seed: drawn });
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      try {
        await check(input);
      } catch (error) {
        throw new Error(`failed for ${JSON.stringify(input)} (FUZZ_SEED=${drawn} draws the same inputs): ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

type Mutation = (bytes: Uint8Array, donor: Uint8Array) => Uint8Array;

// Positions are drawn as fractions so one mutation applies to inputs of any length, uniformly:
// fast-check's usual bias towards small values would put nearly every mutation on the first byte.
const position = fc.noBias(fc.integer({ min: 0, max: 0xffff })).map((n) => n / 0x10000);
const at = (fraction: number, length: number) => Math.floor(fraction * length);
const interestingByte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // flip one bit
  fc.tuple(position, fc.integer({ min: 0, max: 7 })).map(([p, bit]): Mutation => (bytes) => {
    const out = bytes.slice();
    if (out.length > 0) out[at(p, out.length)]! ^= 1 << bit;
    return out;
  }),
  // overwrite one byte with a boundary value (varint continuation bits, counts, enum values)
  fc.tuple(position, interestingByte).map(([p, value]): Mutation => (bytes) => {
    const out = bytes.slice();
    if (out.length > 0) out[at(p, out.length)] = value;
    return out;
  }),
  // truncate
  position.map((p): Mutation => (bytes) => bytes.slice(0, at(p, bytes.length))),
  // insert or append bytes
  fc.tuple(position, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([p, extra]): Mutation => (bytes) => {
    const cut = at(p, bytes.length + 1);
    return concat(bytes.subarray(0, cut), extra, bytes.subarray(cut));
  }),
  // delete a range
  fc.tuple(position, fc.integer({ min: 1, max: 64 })).map(([p, length]): Mutation => (bytes) => {
    const start = at(p, bytes.length);
    return concat(bytes.subarray(0, start), bytes.subarray(start + length));
  }),
  // duplicate a range (repeated entries, counts that no longer match)
  fc.tuple(position, fc.integer({ min: 1, max: 128 })).map(([p, length]): Mutation => (bytes) => {
    const start = at(p, bytes.length);
    return concat(bytes.subarray(0, start + length), bytes.subarray(start, start + length), bytes.subarray(start + length));
  }),
  // splice in part of another valid encoding (well-formed pieces in the wrong place)
  fc.tuple(position, position, position).map(([p, q, r]): Mutation => (bytes, donor) => {
    const start = at(p, donor.length);
    const end = start + at(q, donor.length - start + 1);
    const cut = at(r, bytes.length + 1);
    return concat(bytes.subarray(0, cut), donor.subarray(start, end), bytes.subarray(cut));
  }),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Valid encodings with one to four mutations each: bytes that get past the first checks. */
export function mutatedBytes(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...valid), fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([sample, donor, mutations]) => mutations.reduce((bytes, mutate) => mutate(bytes, donor), sample));
}

/** Random bytes (a quarter) and mutated valid encodings (the rest, since they get further). */
export function hostileBytes(valid: readonly Uint8Array[], maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ arbitrary: fc.uint8Array({ maxLength }), weight: 1 }, { arbitrary: mutatedBytes(valid), weight: 3 });
}

/** JSON values that break assumptions: wrong types, huge and negative numbers, odd strings. */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 53), 1e308, '', '0', '-1', '00', ' 1', '1e3', '0x10', 'NaN', '__proto__', 'constructor', '\u0000', 'ÿ', '💥'.repeat(40), 'a'.repeat(10_000)),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);

type JsonPath = (string | number)[];

function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

type JsonEdit = (document: unknown) => unknown;

function editAt(document: unknown, path: JsonPath, edit: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(document);
  if (path.length === 0) return copy;
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  edit(parent, path[path.length - 1]!);
  return copy;
}

const jsonEdit: fc.Arbitrary<(paths: JsonPath[]) => JsonEdit> = fc.oneof(
  // replace any value, the whole document included, with a hostile one
  fc.tuple(position, hostileJsonValue).map(([p, value]) => (paths: JsonPath[]) => (document: unknown) => {
    const path = paths[at(p, paths.length)]!;
    return path.length === 0 ? value : editAt(document, path, (parent, key) => (parent[key] = value));
  }),
  // remove a field or an array element
  position.map((p) => (paths: JsonPath[]) => (document: unknown) =>
    editAt(document, paths[at(p, paths.length)]!, (parent, key) => {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    }),
  ),
  // add an unknown field next to a known one
  fc.tuple(position, fc.string({ maxLength: 12 }), hostileJsonValue).map(([p, name, value]) => (paths: JsonPath[]) => (document: unknown) => {
    const path = paths[at(p, paths.length)]!;
    return editAt(document, [...path, name], (parent, key) => {
      if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) parent[key] = value;
    });
  }),
  // repeat an array element (duplicate members, inputs, path entries)
  position.map((p) => (paths: JsonPath[]) => (document: unknown) =>
    editAt(document, paths[at(p, paths.length)]!, (parent, key) => {
      if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(parent[Number(key)]));
    }),
  ),
);

/** Valid JSON documents with one to three edits each: wrong types, missing and unknown fields. */
export function mutatedJson(valid: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...valid), fc.array(jsonEdit, { minLength: 1, maxLength: 3 })).map(([sample, edits]) =>
    edits.reduce((document, edit) => edit(pathsOf(document))(document), sample as unknown),
  );
}

/** Random JSON (a quarter) and mutated valid documents. */
export function hostileJson(valid: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: hostileJsonValue, weight: 1 }, { arbitrary: mutatedJson(valid), weight: 3 });
}

/** JSON text as a file or body could hold it: valid documents, edited ones, cut or garbled text. */
export function hostileJsonText(valid: readonly unknown[]): fc.Arbitrary<string> {
  return fc.oneof(
    hostileJson(valid).map((document) => JSON.stringify(document) ?? 'undefined'),
    fc.tuple(fc.constantFrom(...valid), position).map(([document, p]) => {
      const text = JSON.stringify(document);
      return text.slice(0, at(p, text.length));
    }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
}

/**
 * The contract of every decoder and parser of untrusted input: it returns a value, or throws one
 * of Strongbox's typed errors (a StrongboxError with a stable code) — never a TypeError, a
 * RangeError or anything else that would reach a user as an internal error. Returns the value,
 * or undefined when the input was refused.
 */
export function acceptOrRefuse<T>(parse: () => T, refusal: abstract new (...args: never[]) => StrongboxError = StrongboxError): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (error instanceof refusal) return undefined;
    throw error;
  }
}

/** For checks that return nothing: true when `check` refused with a typed error, false when it passed. */
export function refuses(check: () => void, refusal: abstract new (...args: never[]) => StrongboxError = StrongboxError): boolean {
  return acceptOrRefuse(() => {
    check();
    return true;
  }, refusal) === undefined;
}

/** A decoder of a canonical encoding: anything it accepts re-encodes to exactly the same bytes. */
export function expectCanonicalOrRefused<T>(bytes: Uint8Array, decode: (bytes: Uint8Array) => T, encode: (value: T) => Uint8Array, refusal?: abstract new (...args: never[]) => StrongboxError): void {
  const value = acceptOrRefuse(() => decode(bytes), refusal);
  if (value === undefined) return;
  expect(Buffer.from(encode(value)).toString('hex')).to.equal(Buffer.from(bytes).toString('hex'));
}
