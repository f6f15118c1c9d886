import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes as randomBuffer } from 'node:crypto';
import type { Utxo } from '../../sidechain/ledger/state.ts';
import { UtxoSet } from '../../sidechain/ledger/utxo-set.ts';
import { LIMITS } from '../../sidechain/transaction/types.ts';

const MAX_UINT64 = (1n << 64n) - 1n;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const randomBytes = (length: number) => Uint8Array.from(randomBuffer(length));

function utxo(asset: Uint8Array, amount: bigint, height = 7, owner: Uint8Array = randomBytes(33)): Utxo {
  return { owner, asset, assetKey: hex(asset), amount, height };
}

function sortedEntries(entries: Iterable<[string, Utxo]>): [string, Utxo][] {
  return [...entries].sort(([a], [b]) => a.localeCompare(b));
}

/** Everything the set shows, checked against a Map given the same writes. */
function expectSameAs(set: UtxoSet, model: Map<string, Utxo>): void {
  expect(set.size).to.equal(model.size);
  expect(sortedEntries(set)).to.deep.equal(sortedEntries(model));
  expect(sortedEntries(set.entries())).to.deep.equal(sortedEntries(model.entries()));
  expect([...set.keys()].sort()).to.deep.equal([...model.keys()].sort());
  expect([...set.values()].map((u) => `${hex(u.owner)}/${u.assetKey}/${u.amount}/${u.height}`).sort()).to.deep.equal(
    [...model.values()].map((u) => `${hex(u.owner)}/${u.assetKey}/${u.amount}/${u.height}`).sort(),
  );
}

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const operation = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    txid: fc.nat(5),
    vout: fc.oneof(fc.nat(4), fc.constant(0xffffffff)),
    owner: bytes(33),
    asset: fc.nat(2),
    amount: fc.oneof(fc.bigInt({ min: 0n, max: MAX_UINT64 }), fc.constantFrom(0n, 1n, LIMITS.maxAmount, MAX_UINT64)),
    height: fc.oneof(fc.nat(1_000), fc.constant(0xffffffff)),
  }),
  fc.record({ kind: fc.constant('delete' as const), txid: fc.nat(5), vout: fc.oneof(fc.nat(4), fc.constant(0xffffffff)) }),
);

describe('UTXO set', () => {
  it('behaves as a Map of the same outputs under any sequence of puts, overwrites and deletes', () => {
    fc.assert(
      fc.property(fc.array(bytes(32), { minLength: 6, maxLength: 6 }), fc.array(bytes(32), { minLength: 3, maxLength: 3 }), fc.array(operation, { maxLength: 300 }), (txids, assets, operations) => {
        const set = new UtxoSet();
        const model = new Map<string, Utxo>();
        for (const op of operations) {
          const key = `${hex(txids[op.txid]!)}:${op.vout}`;
          if (op.kind === 'put') {
            const output = utxo(assets[op.asset]!, op.amount, op.height, op.owner);
            set.set(key, output);
            model.set(key, output);
          } else {
            expect(set.delete(key)).to.equal(model.delete(key));
          }
          expect(set.get(key)).to.deep.equal(model.get(key));
          expect(set.has(key)).to.equal(model.has(key));
          expect(set.size).to.equal(model.size);
        }
        for (const txid of txids) for (const vout of [0, 1, 2, 3, 4, 0xffffffff]) expect(set.get(`${hex(txid)}:${vout}`)).to.deep.equal(model.get(`${hex(txid)}:${vout}`));
        expectSameAs(set, model);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every output across several chunks of slots, deleted in random order and refilled', () => {
    const set = new UtxoSet();
    const model = new Map<string, Utxo>();
    const asset = randomBytes(32);
    const keys = Array.from({ length: 3 * 4_096 + 17 }, (_, i) => `${hex(randomBytes(32))}:${i % 1_000}`);
    keys.forEach((key, i) => {
      const output = utxo(asset, BigInt(i) * 1_000_003n, i);
      set.set(key, output);
      model.set(key, output);
    });
    expectSameAs(set, model);
    const shuffled = fc.sample(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), { numRuns: 1, seed: 42 })[0]!;
    for (const key of shuffled.slice(0, 9_000)) {
      expect(set.delete(key)).to.equal(true);
      model.delete(key);
      expect(set.get(key)).to.equal(undefined);
    }
    expectSameAs(set, model);
    for (let i = 0; i < 10_000; i++) {
      const key = `${hex(randomBytes(32))}:${i}`;
      const output = utxo(asset, BigInt(i), i);
      set.set(key, output);
      model.set(key, output);
    }
    expectSameAs(set, model);
    for (const key of model.keys()) expect(set.get(key)).to.deep.equal(model.get(key));
  });

  it('reuses the slot of a spent output for the next one (iteration follows slots)', () => {
    const set = new UtxoSet();
    const asset = randomBytes(32);
    const keys = Array.from({ length: 5 }, (_, i) => `${hex(randomBytes(32))}:${i}`);
    for (const key of keys) set.set(key, utxo(asset, 1n));
    set.delete(keys[3]!);
    set.delete(keys[1]!);
    const later = [`${hex(randomBytes(32))}:0`, `${hex(randomBytes(32))}:0`, `${hex(randomBytes(32))}:0`];
    for (const key of later) set.set(key, utxo(asset, 2n));
    expect([...set.keys()]).to.deep.equal([keys[0], later[0], keys[2], later[1], keys[4], later[2]]);
  });

  for (const amount of [0n, 1n, LIMITS.maxAmount, MAX_UINT64]) {
    it(`returns the amount ${amount} exactly`, () => {
      const set = new UtxoSet();
      const key = `${hex(randomBytes(32))}:0`;
      set.set(key, utxo(randomBytes(32), amount));
      expect(set.get(key)!.amount).to.equal(amount);
    });
  }

  it('refuses what it cannot hold exactly: amounts outside 64 unsigned bits, heights outside 32, wrong lengths, keys that are not txid hex:index', () => {
    const set = new UtxoSet();
    const key = `${hex(randomBytes(32))}:0`;
    const asset = randomBytes(32);
    expect(() => set.set(key, utxo(asset, MAX_UINT64 + 1n))).to.throw(TypeError, 'does not fit 64 unsigned bits');
    expect(() => set.set(key, utxo(asset, -1n))).to.throw(TypeError, 'does not fit 64 unsigned bits');
    expect(() => set.set(key, utxo(asset, 1n, 2 ** 32))).to.throw(TypeError, 'not a 32-bit unsigned integer');
    expect(() => set.set(key, utxo(asset, 1n, 1, randomBytes(32)))).to.throw(TypeError, 'owner must be 33 bytes');
    expect(() => set.set(key, utxo(randomBytes(31), 1n))).to.throw(TypeError, 'asset must be 32 bytes');
    expect(() => set.set(key, { ...utxo(asset, 1n), assetKey: hex(randomBytes(32)) })).to.throw(TypeError, "is not the asset's hex");
    set.set(key, utxo(asset, 1n));
    expect(() => set.set(key, { ...utxo(randomBytes(32), 1n), assetKey: hex(asset) })).to.throw(TypeError, 'asset bytes differ');
    const txid = key.slice(0, 64);
    for (const bad of [txid.toUpperCase() + ':1', `${txid}:01`, `${txid}:4294967296`, `${txid}:`, `${txid}:-1`, `${txid}1`, `${txid.slice(1)}:0`, `${txid}:0 `, 'x', `g${txid.slice(1)}:0`, `${txid.slice(0, 63)}g:0`, `\u00b0${txid.slice(1)}:0`, `${txid.slice(0, 63)}\u00b0:0`, `${txid.slice(0, 62)}\u0130${txid.slice(63)}:0`]) {
      expect(set.get(bad), bad).to.equal(undefined);
      expect(set.has(bad), bad).to.equal(false);
      expect(set.delete(bad), bad).to.equal(false);
      expect(() => set.set(bad, utxo(asset, 1n)), bad).to.throw(TypeError, 'is not txid hex:index');
    }
    expect(set.size).to.equal(1);
  });

  it('keeps one copy of each asset and hands out owners the caller may change', () => {
    const set = new UtxoSet();
    const asset = randomBytes(32);
    const owner = randomBytes(33);
    const [a, b] = [`${hex(randomBytes(32))}:0`, `${hex(randomBytes(32))}:1`];
    set.set(a, utxo(asset, 5n, 1, owner));
    set.set(b, utxo(Uint8Array.from(asset), 6n, 2, owner));
    const first = set.get(a)!;
    expect(first.asset).to.equal(set.get(b)!.asset);
    expect(first.asset).to.deep.equal(asset);
    asset.fill(0);
    owner.fill(0);
    first.owner.fill(1);
    expect(set.get(a)!.asset).to.not.deep.equal(asset);
    expect(set.get(a)!.owner).to.not.deep.equal(owner);
    expect(set.get(a)!.owner).to.not.deep.equal(first.owner);
  });
});
