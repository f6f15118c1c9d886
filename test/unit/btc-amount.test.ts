import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { ValidationError } from '../../sidechain/errors.ts';

interface AmountInput {
  text?: string;
  number?: number;
}
const vectors = JSON.parse(readFileSync(new URL('../vectors/btc-amount.json', import.meta.url), 'utf8')) as {
  valid: Array<AmountInput & { sats: string }>;
  invalid: Array<AmountInput & { error: string }>;
  format: Array<{ sats: string; btc: string }>;
};

function input(vector: AmountInput): string | number {
  return vector.text ?? vector.number!;
}

const MAX_SATS = 2_100_000_000_000_000n;

describe('BTC amounts', () => {
  for (const vector of vectors.valid) {
    it(`reads ${JSON.stringify(input(vector))} as exactly ${vector.sats} sats`, () => {
      expect(btcToSats(input(vector))).to.equal(BigInt(vector.sats));
    });
  }

  for (const vector of vectors.invalid) {
    it(`rejects ${JSON.stringify(input(vector))} with a validation error`, () => {
      expect(() => btcToSats(input(vector))).to.throw(ValidationError, vector.error);
    });
  }

  for (const vector of vectors.format) {
    it(`writes ${vector.sats} sats as ${vector.btc} BTC`, () => {
      expect(satsToBtc(BigInt(vector.sats))).to.equal(vector.btc);
    });
  }

  it('reads back every amount up to 21 million BTC exactly, as text and as the float a node sends', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_SATS }), (sats) => {
        const text = satsToBtc(sats);
        expect(btcToSats(text)).to.equal(sats);
        expect(btcToSats(Number(text))).to.equal(sats);
        expect(btcToSats(JSON.parse(text) as number)).to.equal(sats);
      }),
      { numRuns: 5_000 },
    );
  });
});
