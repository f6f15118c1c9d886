import { expect } from 'chai';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { describeAmount } from '../../cli/asset-amount.ts';

describe('an amount of pegged BTC as a command says it', () => {
  it('names sats with their BTC figure, one sat in the singular', () => {
    expect(describeAmount(1n, BTC_ASSET_KEY, undefined)).to.equal('1 sat of pegged BTC (0.00000001 BTC)');
    expect(describeAmount(250_000n, BTC_ASSET_KEY, undefined)).to.equal('250000 sats of pegged BTC (0.00250000 BTC)');
  });
});
