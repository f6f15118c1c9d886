import { expect } from 'chai';
import { BTC_ASSET_ID, BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { describeAmount, registeredSecurity, unitsFigure } from '../../cli/asset-amount.ts';
import { shortfall } from '../../federation/wallet/build-transfer.ts';
import type { AssetView, MemberClient } from '../../federation/api/client.ts';

describe('an amount of pegged BTC as a command says it', () => {
  it('names sats with their BTC figure, one sat in the singular', () => {
    expect(describeAmount(1n, BTC_ASSET_KEY, undefined)).to.equal('1 sat of pegged BTC (0.00000001 BTC)');
    expect(describeAmount(250_000n, BTC_ASSET_KEY, undefined)).to.equal('250000 sats of pegged BTC (0.00250000 BTC)');
  });
});

describe('an amount of a security as a command says it', () => {
  it('names base units with the decimal figure beside them where it has decimals, one base unit in the singular', () => {
    expect([1n, 2n, 12345n].map((amount) => unitsFigure(amount, 2))).to.deep.equal(['1 base unit (0.01)', '2 base units (0.02)', '12345 base units (123.45)']);
    expect([1n, 12345n].map((amount) => unitsFigure(amount, 0))).to.deep.equal(['1', '12345']);
  });

  it('writes a control character or direction mark of its name escaped, so a name cannot pass for more lines of a listing or reorder one', () => {
    const security = { id: 'ab'.repeat(32), name: 'Fake\n  9999 of Acme AB\r\u009b2K\u202e', isin: 'SE0000108656', decimals: 0 } as AssetView;
    expect(describeAmount(5n, security.id, security)).to.equal(`5 of Fake\\x0a  9999 of Acme AB\\x0d\\x9b2K\\u202e (SE0000108656) ${security.id}`);
  });
});

describe('the security a command is given', () => {
  it('refuses the id of pegged BTC as no security, before asking a member', async () => {
    const error = await registeredSecurity({} as MemberClient, BTC_ASSET_KEY).then(() => undefined, (refusal: Error) => refusal);
    expect(error?.message).to.equal(`${BTC_ASSET_KEY} is pegged BTC, which has no issuer, registry or dividends: this command takes a security's asset id (listed at GET /assets and on the explorer's Assets page)`);
  });
});

describe('a wallet short of pegged BTC', () => {
  it('is told what it holds and what was asked in sats and BTC, one sat in the singular', () => {
    expect(shortfall(Buffer.from(BTC_ASSET_ID).toString('hex'), 1n, 2n).message).to.match(/^the wallet holds 1 sat of pegged BTC \(0\.00000001 BTC\), not 2 sats \(0\.00000002 BTC\): bring BTC in by a peg-in/);
  });
});
