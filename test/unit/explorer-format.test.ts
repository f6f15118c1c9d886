import { expect } from 'chai';

interface Format {
  formatUnits(amount: string, decimals: number): string;
  btc(sats: string): string;
  short(hex: string, keep?: number): string;
  elapsed(timeMs: number, now: number): string;
  ago(timeMs: number, now: number): string;
}

/** The explorer's amount formatting runs in the browser; it is plain ES, so the same module runs here. */
describe('explorer amount formatting: exact decimal strings, never floating point', () => {
  let format: Format;
  before(async () => {
    format = (await import(new URL('../../federation/explorer/public/js/format.js', import.meta.url).href)) as Format;
  });

  const units: [string, number, string][] = [
    ['0', 0, '0'],
    ['2500', 0, '2,500'],
    ['1000000', 0, '1,000,000'],
    ['5', 2, '0.05'],
    ['100000', 2, '1,000.00'],
    ['1', 8, '0.00000001'],
    // 2^64 + 1 base units: beyond what a double holds exactly.
    ['18446744073709551617', 8, '184,467,440,737.09551617'],
    ['123456789012345678901234567890', 18, '123,456,789,012.345678901234567890'],
  ];
  for (const [amount, decimals, shown] of units) {
    it(`shows ${amount} base units with ${decimals} decimals as ${shown}`, () => expect(format.formatUnits(amount, decimals)).to.equal(shown));
  }

  const sats: [string, string][] = [
    ['100000000', '1.00000000 BTC'],
    ['75000000', '0.75000000 BTC'],
    ['10000000', '0.10000000 BTC'],
    ['500000', '0.00500000 BTC'],
    ['12500', '0.00012500 BTC'],
    ['1', '0.00000001 BTC'],
    ['0', '0.00000000 BTC'],
    ['2100000000000000', '21,000,000.00000000 BTC'],
    ['123456789', '1.23456789 BTC'],
  ];
  for (const [amount, shown] of sats) {
    it(`shows ${amount} sats as ${shown}`, () => expect(format.btc(amount)).to.equal(shown));
  }

  it('shortens long ids to their first and last characters, and leaves short ones', () => {
    expect(format.short('0123456789abcdef0123456789abcdef')).to.equal('0123456789…cdef');
    expect(format.short('0123456789ab')).to.equal('0123456789ab');
  });

  const NOW = Date.UTC(2026, 11, 6, 12);
  const spans: [number, string][] = [
    [0, '0 s'],
    [59_400, '59 s'],
    [60_000, '1 min'],
    [3_599_000, '59 min'],
    [3_600_000, '1 h'],
    [86_399_000, '23 h'],
    [86_400_000, '1 d'],
    // A time ahead of the browser's clock (the member's runs fast): no negative span.
    [-5_000, '0 s'],
  ];
  for (const [ms, shown] of spans) {
    it(`says ${ms} ms before now as ${shown}, and ${shown} ago`, () => {
      expect(format.elapsed(NOW - ms, NOW)).to.equal(shown);
      expect(format.ago(NOW - ms, NOW)).to.equal(`${shown} ago`);
    });
  }
});
