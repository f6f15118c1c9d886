import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { networks } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import * as btc from '@scure/btc-signer';
import { sortedMultisig } from '../../watcher/escrow.ts';
import {
  addTweakToPrivateKey,
  addTweakToPublicKey,
  depositMultisig,
  InvalidTweakError,
  peginTweak,
  tweakMemberKey,
  tweakMemberPrivateKey,
} from '../../watcher/pegin-tweak.ts';

interface DepositVector {
  recipient: string;
  tweaks: string[];
  tweakedKeys: string[];
  tweakedPrivateKeys: string[];
  descriptor: string;
  witnessScript: string;
  scriptPubKey: string;
  addresses: Record<'regtest' | 'testnet' | 'bitcoin', string>;
}
interface FederationVector {
  description: string;
  threshold: number;
  memberPrivateKeys: string[];
  memberKeys: string[];
  escrow: { descriptor: string; witnessScript: string; scriptPubKey: string; addresses: Record<'regtest' | 'testnet' | 'bitcoin', string> };
  deposits: DepositVector[];
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/pegin.json', import.meta.url), 'utf8')) as { valid: FederationVector[] };
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');
const NETWORKS = { regtest: networks.regtest, testnet: networks.testnet, bitcoin: networks.bitcoin } as const;
const SCURE_NETWORKS = {
  regtest: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  testnet: btc.TEST_NETWORK,
  bitcoin: btc.NETWORK,
} as const;
const N = secp256k1.Point.CURVE().n;

/** The whole derivation again with other libraries: noble point arithmetic and scure scripts. */
function independentDeposit(threshold: number, memberKeys: string[], recipient: string) {
  const tweaked = memberKeys.map((key) => {
    const t = BigInt(`0x${hex(schnorr.utils.taggedHash('Strongbox/pegin', bytes(key), bytes(recipient)))}`);
    return secp256k1.Point.fromHex(key).add(secp256k1.Point.BASE.multiply(t)).toBytes(true);
  });
  const sorted = [...tweaked].sort((a, b) => Buffer.compare(a, b));
  // scure's p2ms stops at 16 keys; larger multisigs (BIP-383 allows 20 in wsh) go through its script encoder.
  const multisig = sorted.length <= 16
    ? btc.p2ms(threshold, sorted)
    : { type: 'unknown', script: btc.Script.encode([threshold, ...sorted, sorted.length, 'CHECKMULTISIG']) };
  return Object.fromEntries(
    Object.entries(SCURE_NETWORKS).map(([name, network]) => [name, btc.p2wsh(multisig, network).address!]),
  ) as Record<keyof typeof SCURE_NETWORKS, string>;
}

describe('pay-to-contract deposit addresses', () => {
  for (const federation of vectors.valid) {
    describe(federation.description, () => {
      const escrow = sortedMultisig(federation.threshold, federation.memberKeys.map(bytes));

      it('reproduces the escrow descriptor, script and addresses', () => {
        expect(escrow.descriptor).to.equal(federation.escrow.descriptor);
        expect(hex(escrow.witnessScript)).to.equal(federation.escrow.witnessScript);
        expect(hex(escrow.scriptPubKey)).to.equal(federation.escrow.scriptPubKey);
        for (const [name, network] of Object.entries(NETWORKS)) {
          expect(escrow.address(network)).to.equal(federation.escrow.addresses[name as keyof typeof NETWORKS]);
        }
      });

      for (const deposit of federation.deposits) {
        const recipient = bytes(deposit.recipient);

        it(`derives tweaks, tweaked keys and the deposit script for R=${deposit.recipient.slice(0, 10)}…`, () => {
          expect(federation.memberKeys.map((key) => hex(peginTweak(bytes(key), recipient)))).to.deep.equal(deposit.tweaks);
          expect(federation.memberKeys.map((key) => hex(tweakMemberKey(bytes(key), recipient)))).to.deep.equal(deposit.tweakedKeys);
          const script = depositMultisig(escrow, recipient);
          expect(script.threshold).to.equal(federation.threshold);
          expect(script.descriptor).to.equal(deposit.descriptor);
          expect(hex(script.witnessScript)).to.equal(deposit.witnessScript);
          expect(hex(script.scriptPubKey)).to.equal(deposit.scriptPubKey);
          for (const [name, network] of Object.entries(NETWORKS)) {
            expect(script.address(network)).to.equal(deposit.addresses[name as keyof typeof NETWORKS]);
          }
        });

        it('gives the same addresses under an independent derivation (@noble/curves, @scure/btc-signer)', () => {
          expect(independentDeposit(federation.threshold, federation.memberKeys, deposit.recipient)).to.deep.equal(deposit.addresses);
        });

        it('gives each member the private key of its tweaked public key', () => {
          federation.memberPrivateKeys.forEach((privateKey, i) => {
            const tweakedPrivate = tweakMemberPrivateKey(bytes(privateKey), recipient);
            expect(hex(tweakedPrivate)).to.equal(deposit.tweakedPrivateKeys[i]);
            expect(hex(ecc.pointFromScalar(tweakedPrivate, true)!)).to.equal(deposit.tweakedKeys[i]);
          });
        });
      }
    });
  }

  it('binds the address to the recipient: another R gives another address', () => {
    const federation = vectors.valid[0]!;
    const escrow = sortedMultisig(federation.threshold, federation.memberKeys.map(bytes));
    const a = bytes(federation.deposits[0]!.recipient);
    const b = Uint8Array.from(a);
    b[32]! ^= 1;
    expect(depositMultisig(escrow, a).address(networks.regtest)).to.not.equal(depositMultisig(escrow, b).address(networks.regtest));
  });

  it('rejects a recipient that is not 33 bytes', () => {
    const key = bytes(vectors.valid[0]!.memberKeys[0]!);
    expect(() => peginTweak(key, new Uint8Array(32))).to.throw('recipient must be 33 bytes');
    expect(() => peginTweak(key, new Uint8Array(34))).to.throw('recipient must be 33 bytes');
  });

  it('rejects a member key that is not a compressed point', () => {
    expect(() => peginTweak(new Uint8Array(33), new Uint8Array(33))).to.throw('compressed secp256k1 point');
  });

  describe('invalid tweaks', () => {
    const p = 0x1234n;
    const pBytes = bytes(p.toString(16).padStart(64, '0'));
    const P = ecc.pointFromScalar(pBytes, true)!;
    const order = bytes(N.toString(16));
    const minusP = bytes((N - p).toString(16).padStart(64, '0'));

    it('rejects a tweak not below the group order with a typed error', () => {
      expect(() => addTweakToPublicKey(P, order)).to.throw(InvalidTweakError, 'group order');
      expect(() => addTweakToPrivateKey(pBytes, order)).to.throw(InvalidTweakError, 'group order');
    });

    it('rejects a tweak that cancels the key', () => {
      expect(() => addTweakToPublicKey(P, minusP)).to.throw(InvalidTweakError, 'point at infinity');
      expect(() => addTweakToPrivateKey(pBytes, minusP)).to.throw(InvalidTweakError, 'zero');
    });

    it('reports the invalid-tweak code', () => {
      try {
        addTweakToPublicKey(P, order);
        expect.fail('accepted an invalid tweak');
      } catch (error) {
        expect((error as InvalidTweakError).code).to.equal('invalid-tweak');
      }
    });
  });
});
