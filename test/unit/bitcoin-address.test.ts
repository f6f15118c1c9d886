import { expect } from 'chai';
import * as btc from '@scure/btc-signer';
import { address as btcAddress, networks } from 'bitcoinjs-lib';
import { ValidationError } from '../../sidechain/errors.ts';
import { addressOfScript, bitcoinNetworkOf, pegoutDestinationScript } from '../../watcher/bitcoin-address.ts';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

/** Addresses of every standard kind, made by @scure/btc-signer: our scripts must be the ones it encodes. */
const standard: [string, string][] = [
  ['P2PKH', btc.Address(REGTEST).encode({ type: 'pkh', hash: bytes(20, 1) })],
  ['P2SH', btc.Address(REGTEST).encode({ type: 'sh', hash: bytes(20, 2) })],
  ['P2WPKH', btc.Address(REGTEST).encode({ type: 'wpkh', hash: bytes(20, 3) })],
  ['P2WSH', btc.Address(REGTEST).encode({ type: 'wsh', hash: bytes(32, 4) })],
  // An output key must be a point: the x coordinate of the generator is one.
  ['P2TR', btc.Address(REGTEST).encode({ type: 'tr', pubkey: new Uint8Array(Buffer.from('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex')) })],
];

function refusal(address: string): string {
  try {
    pegoutDestinationScript(address, networks.regtest, 'regtest');
  } catch (error) {
    expect(error).to.be.instanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error(`${address} was accepted`);
}

describe('peg-out destination addresses', () => {
  for (const [kind, address] of standard) {
    it(`pays a ${kind} address the script @scure/btc-signer makes of it, and shows that script as the address`, () => {
      const expected = btc.OutScript.encode(btc.Address(REGTEST).decode(address));
      const script = pegoutDestinationScript(address, networks.regtest, 'regtest');
      expect(Buffer.from(script).toString('hex')).to.equal(Buffer.from(expected).toString('hex'));
      expect(addressOfScript(script, networks.regtest)).to.equal(address);
    });
  }

  it('refuses an address of another network, naming it', () => {
    const mainnet = btc.Address(btc.NETWORK).encode({ type: 'wpkh', hash: bytes(20, 3) });
    expect(refusal(mainnet)).to.equal(`"${mainnet}" is not a Bitcoin address on regtest (it is a mainnet address)`);
    const testnet = btc.Address(btc.TEST_NETWORK).encode({ type: 'wpkh', hash: bytes(20, 3) });
    expect(refusal(testnet)).to.equal(`"${testnet}" is not a Bitcoin address on regtest (it is a testnet address)`);
  });

  it("names the network an address is of, the chain's own first where testnet's and regtest's base58 addresses are alike", () => {
    const [, p2pkh] = standard[0]!;
    const [, p2wpkh] = standard[2]!;
    expect(bitcoinNetworkOf(p2pkh, networks.regtest, 'regtest')).to.equal('regtest');
    expect(bitcoinNetworkOf(p2pkh, networks.testnet, 'testnet')).to.equal('testnet');
    expect(bitcoinNetworkOf(p2wpkh, networks.regtest, 'regtest')).to.equal('regtest');
    expect(bitcoinNetworkOf(p2wpkh, networks.bitcoin, 'mainnet')).to.equal('regtest');
    expect(bitcoinNetworkOf(btc.Address(btc.NETWORK).encode({ type: 'wpkh', hash: bytes(20, 3) }), networks.regtest, 'regtest')).to.equal('mainnet');
    expect(bitcoinNetworkOf(p2wpkh.slice(0, -1) + (p2wpkh.endsWith('q') ? 'p' : 'q'), networks.regtest, 'regtest')).to.equal(undefined);
  });

  it('refuses a future segwit version in one line, with nothing printed on the console', () => {
    const future = btcAddress.toBech32(Buffer.from(bytes(32, 6)), 2, 'bcrt');
    const printed: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => printed.push(args);
    try {
      expect(refusal(future)).to.equal(`${future} is a segwit version 2 address, which Bitcoin has no spending rules for yet: a peg-out pays P2PKH, P2SH, P2WPKH, P2WSH or P2TR`);
    } finally {
      console.warn = warn;
    }
    expect(printed).to.deep.equal([]);
  });

  it('refuses a Strongbox address, a bad checksum and text that is no address', () => {
    expect(refusal('sbx1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq')).to.match(/is a Strongbox address: a peg-out pays a Bitcoin address/);
    const [, p2wpkh] = standard[2]!;
    const broken = p2wpkh.slice(0, -1) + (p2wpkh.endsWith('q') ? 'p' : 'q');
    expect(refusal(broken)).to.equal(`"${broken}" is not a Bitcoin address on regtest`);
    expect(refusal('garbage')).to.equal('"garbage" is not a Bitcoin address on regtest');
  });
});
