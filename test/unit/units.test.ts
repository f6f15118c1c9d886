import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { formatUnits } from '../../sidechain/asset.ts';

const { vectors } = JSON.parse(readFileSync(new URL('../vectors/units.json', import.meta.url), 'utf8')) as { vectors: { amount: string; decimals: number; shown: string }[] };

describe('an amount of base units as the decimal figure its asset means', () => {
  for (const { amount, decimals, shown } of vectors) {
    it(`shows ${amount} base units with ${decimals} decimals as ${shown}`, () => expect(formatUnits(BigInt(amount), decimals)).to.equal(shown));
  }
});
