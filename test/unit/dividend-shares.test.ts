import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { dividendOutputs } from '../../sidechain/ledger/dividend.ts';
import type { Holder } from '../../sidechain/ledger/holdings.ts';

const vectors = JSON.parse(readFileSync(new URL('../vectors/dividend.json', import.meta.url), 'utf8')) as {
  cases: { description: string; total: string; holders: { owner: string; amount: string }[]; shares: { owner: string; amount: string }[] }[];
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const holder = (ownerKey: string, amount: bigint): Holder => ({ owner: new Uint8Array(Buffer.from(ownerKey, 'hex')), ownerKey, amount });

describe('dividend shares (largest remainder, vectors)', () => {
  for (const vector of vectors.cases) {
    it(vector.description, () => {
      const outputs = dividendOutputs(BigInt(vector.total), vector.holders.map((h) => holder(h.owner, BigInt(h.amount))));
      expect(outputs.map((o) => ({ owner: hex(o.owner), amount: o.amount.toString() }))).to.deep.equal(vector.shares);
      expect(outputs.every((o) => hex(o.asset) === BTC_ASSET_KEY)).to.equal(true);
    });
  }

  it('refuses a distribution without holders', () => {
    expect(() => dividendOutputs(10n, [])).to.throw(ValidationError).with.property('code', 'no-holders');
  });

  it('pays exactly the total, each holder within one satoshi of its exact share, in owner order', () => {
    const holdings = fc.uniqueArray(fc.record({ key: fc.integer({ min: 0, max: 255 }), amount: fc.bigInt({ min: 1n, max: 1n << 40n }) }), { minLength: 1, maxLength: 30, selector: (h) => h.key });
    fc.assert(
      fc.property(holdings, fc.bigInt({ min: 1n, max: 1n << 50n }), (entries, total) => {
        const holders = entries.map((e) => holder(`00${e.key.toString(16).padStart(2, '0').repeat(32)}`, e.amount));
        const outstanding = holders.reduce((sum, h) => sum + h.amount, 0n);
        const outputs = dividendOutputs(total, holders);
        expect(outputs.reduce((sum, o) => sum + o.amount, 0n)).to.equal(total);
        const keys = outputs.map((o) => hex(o.owner));
        expect(keys).to.deep.equal([...keys].sort());
        for (const h of holders) {
          const paid = outputs.find((o) => hex(o.owner) === h.ownerKey)?.amount ?? 0n;
          const floor = (total * h.amount) / outstanding;
          expect(paid === floor || paid === floor + 1n, `${paid} vs exact ${floor}.x`).to.equal(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
