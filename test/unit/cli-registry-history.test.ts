import { expect } from 'chai';
import { historyTable } from '../../cli/actions/registry.ts';
import type { AssetView } from '../../federation/api/client.ts';

describe('strongbox registry history, as a person reads it', () => {
  const security = (name: string, isin: string, decimals: number) => ({ name, isin, decimals }) as AssetView;
  const [share, bond] = ['aa'.repeat(32), 'bb'.repeat(32)];
  const securities = new Map([
    [share, security('Acme AB', 'US0378331005', 0)],
    [bond, security('Bayer 2031', 'DE000BAY0017', 2)],
  ]);
  const txid = (digit: string) => digit.repeat(64);

  it('puts each change in columns under a header, figures aligned on their last digit, whatever their widths', () => {
    const lines = historyTable(
      [
        { height: 9, txid: txid('1'), asset: share, delta: 600n, balance: 600n },
        { height: 12, txid: txid('2'), asset: bond, delta: 12345n, balance: 12345n },
        { height: 130, txid: txid('3'), asset: share, delta: -100n, balance: 500n },
      ],
      securities,
    );
    const [change, balance] = ['+12345 base units (123.45)'.length, '12345 base units (123.45)'.length];
    const securityWidth = `Bayer 2031 (DE000BAY0017) ${bond}`.length;
    expect(lines).to.deep.equal([
      `height  ${'change'.padStart(change)}  ${'balance'.padStart(balance)}  ${'security'.padEnd(securityWidth)}  transaction`,
      `     9  ${'+600'.padStart(change)}  ${'600'.padStart(balance)}  ${`Acme AB (US0378331005) ${share}`.padEnd(securityWidth)}  ${txid('1')}`,
      `    12  +12345 base units (123.45)  12345 base units (123.45)  Bayer 2031 (DE000BAY0017) ${bond}  ${txid('2')}`,
      `   130  ${'-100'.padStart(change)}  ${'500'.padStart(balance)}  ${`Acme AB (US0378331005) ${share}`.padEnd(securityWidth)}  ${txid('3')}`,
    ]);
  });
});
