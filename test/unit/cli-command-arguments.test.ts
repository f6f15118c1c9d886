import { expect } from 'chai';
import * as btc from '@scure/btc-signer';
import { parseAddress, parseAsset, parseHeight, parseRegtestAddress, parseSecurity, parseTxid } from '../../cli/command-arguments.ts';
import { encodeAddress, keyOwner } from '../../sidechain/address.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { ValidationError } from '../../sidechain/errors.ts';

const id = '5c1f' + 'ab'.repeat(30);
const hash = new Uint8Array(20).fill(3);
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const regtest = btc.Address(REGTEST).encode({ type: 'wpkh', hash });
const mainnet = btc.Address(btc.NETWORK).encode({ type: 'wpkh', hash });
const mainnetLegacy = btc.Address(btc.NETWORK).encode({ type: 'pkh', hash });
const testnet = btc.Address(btc.TEST_NETWORK).encode({ type: 'wpkh', hash });
const sidechain = encodeAddress(keyOwner(new Uint8Array(32).fill(7)));
const badChecksum = (address: string) => address.slice(0, -1) + (address.endsWith('q') ? 'p' : 'q');

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
    expect(() => parseHeight('4294967296', '--height')).to.throw(ValidationError, /^--height must be at most 4294967295 \(2\^32-1\) blocks, got 4294967296$/);
    expect(() => parseHeight('99999999999', '--expires-in')).to.throw(ValidationError, /^--expires-in must be at most 4294967295 \(2\^32-1\) blocks, got 99999999999$/);
    expect(() => parseHeight('-1', '--height')).to.throw(ValidationError, /^--height must be a whole number of blocks, got "-1"$/);
    expect(() => parseHeight('07', '--record-height')).to.throw(ValidationError, /^--record-height must/);
    expect(parseTxid(id.toUpperCase())).to.equal(id);
    expect(() => parseTxid('zz', '--offer')).to.throw(ValidationError, /^--offer: not a transaction id \(64 hex characters\): "zz"$/);
  });

  // Where a Bitcoin address is expected (regtest fund and mine --to): each refusal names the network or kind expected.
  const regtestRefusals: [string, string, string][] = [
    ['a mainnet segwit address', mainnet, `"${mainnet}" is not a Bitcoin address on regtest (it is a mainnet address)`],
    ['a mainnet legacy address', mainnetLegacy, `"${mainnetLegacy}" is not a Bitcoin address on regtest (it is a mainnet address)`],
    ['a testnet segwit address', testnet, `"${testnet}" is not a Bitcoin address on regtest (it is a testnet address)`],
    ['a regtest address with a bad checksum', badChecksum(regtest), `"${badChecksum(regtest)}" is not a Bitcoin address on regtest`],
    ['text that is no address', 'garbage', '"garbage" is not a Bitcoin address on regtest'],
    ['a Strongbox address', sidechain, `${sidechain} is a Strongbox address: BTC reaches it by a peg-in (strongbox pegin-address ${sidechain} gives the bcrt1… address to fund)`],
  ];
  it('takes a regtest Bitcoin address', () => {
    expect(parseRegtestAddress(regtest)).to.equal(regtest);
  });
  for (const [name, value, message] of regtestRefusals) {
    it(`refuses ${name} where a regtest Bitcoin address is expected`, () => {
      expect(() => parseRegtestAddress(value)).to.throw(ValidationError).with.property('message', message);
    });
  }

  // Where a Strongbox address is expected (send --to, pegin-address, registry and allowlist).
  const sidechainRefusals: [string, string, RegExp][] = [
    ['a regtest Bitcoin address', regtest, new RegExp(`^${regtest} is a Bitcoin address, not a Strongbox address \\(sbx1…\\)$`)],
    ['a mainnet Bitcoin address', mainnetLegacy, new RegExp(`^${mainnetLegacy} is a Bitcoin address, not a Strongbox address \\(sbx1…\\)$`)],
    ['a Strongbox address with a bad checksum', badChecksum(sidechain), new RegExp(`^"${badChecksum(sidechain)}" is not a Strongbox address \\(sbx1…\\): not a bech32m address: `)],
    ['text that is no address', 'garbage', /^"garbage" is not a Strongbox address \(sbx1…\): not a bech32m address: /],
  ];
  it('takes a Strongbox address in either case, in lowercase', () => {
    expect(parseAddress(sidechain.toUpperCase())).to.equal(sidechain);
  });
  for (const [name, value, message] of sidechainRefusals) {
    it(`refuses ${name} where a Strongbox address is expected`, () => {
      expect(() => parseAddress(value)).to.throw(ValidationError, message);
    });
  }
});

