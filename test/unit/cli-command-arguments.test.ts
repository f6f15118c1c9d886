import { expect } from 'chai';
import { parseAsset, parseHeight, parseSecurity, parseTxid } from '../../cli/command-arguments.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';

const id = '5c1f' + 'ab'.repeat(30);

describe('command-line arguments', () => {
  it('takes an asset id in either case, and BTC only where pegged BTC is meant', () => {
    expect(Buffer.from(parseSecurity(id.toUpperCase())).toString('hex')).to.equal(id);
    expect(Buffer.from(parseAsset(id.toUpperCase())).toString('hex')).to.equal(id);
    expect(parseAsset('btc')).to.deep.equal(BTC_ASSET_ID);
    expect(() => parseSecurity('BTC')).to.throw(ValidationError, /^asset must be a 64-character hex asset id, got "BTC"$/);
    expect(() => parseAsset(id.slice(1))).to.throw(ValidationError, /^asset must be BTC or a 64-character hex asset id, got "c1f/);
  });

  it('names the option a bad height or txid came from', () => {
    expect(parseHeight('4294967295', '--height')).to.equal(0xffffffff);
    expect(() => parseHeight('4294967296', '--height')).to.throw(ValidationError, /^--height must be a whole number of blocks/);
    expect(() => parseHeight('07', '--record-height')).to.throw(ValidationError, /^--record-height must/);
    expect(parseTxid(id.toUpperCase())).to.equal(id);
    expect(() => parseTxid('zz', '--offer')).to.throw(ValidationError, /^--offer: not a transaction id \(64 hex characters\): "zz"$/);
  });
});
