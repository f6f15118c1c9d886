import { expect } from 'chai';
import { networks } from 'bitcoinjs-lib';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ValidationError } from '../../sidechain/errors.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { OPS_WALLET_TAG, opsWalletKey, opsWalletMultisig, opsWalletPrivateKey } from '../../watcher/ops-wallet.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';

const privateKeys = [1, 2, 3, 4, 5].map((n) => new Uint8Array(32).fill(n));
const memberKeys = privateKeys.map((key) => secp256k1.getPublicKey(key, true));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** BIP-340 style tagged hash and point addition written out with noble, independent of the code under test. */
function expectedOpsKey(memberKey: Uint8Array): Uint8Array {
  const tag = sha256(new TextEncoder().encode(OPS_WALLET_TAG));
  const tweak = sha256(new Uint8Array([...tag, ...tag, ...memberKey]));
  const scalar = BigInt(`0x${hex(tweak)}`);
  return secp256k1.Point.fromBytes(memberKey).add(secp256k1.Point.BASE.multiply(scalar)).toBytes(true);
}

describe('operations wallet: peg keys tweaked under Strongbox/ops-wallet', () => {
  it('derives each member key as P + TaggedHash("Strongbox/ops-wallet", P)·G', () => {
    for (const key of memberKeys) expect(hex(opsWalletKey(key))).to.equal(hex(expectedOpsKey(key)));
  });

  it('derives the private key whose public key is the ops-wallet key', () => {
    privateKeys.forEach((key, index) => {
      expect(hex(secp256k1.getPublicKey(opsWalletPrivateKey(key), true))).to.equal(hex(opsWalletKey(memberKeys[index]!)));
    });
  });

  it('is a k-of-n P2WSH with the escrow threshold whose address is neither the escrow\'s nor a deposit address', () => {
    const escrow = sortedMultisig(4, memberKeys);
    const wallet = opsWalletMultisig(escrow);
    expect(wallet.threshold).to.equal(4);
    expect(wallet.keys).to.have.length(5);
    expect(wallet.descriptor).to.match(/^wsh\(sortedmulti\(4,[0-9a-f,]+\)\)#[0-9a-z]{8}$/);
    expect(wallet.address(networks.regtest)).to.match(/^bcrt1q/);
    const others = [escrow, depositMultisig(escrow, new Uint8Array(33)), depositMultisig(escrow, new Uint8Array(33).fill(7))].map((multisig) => multisig.address(networks.regtest));
    expect(others).to.not.include(wallet.address(networks.regtest));
    const escrowKeys = new Set(escrow.keys.map(hex));
    expect(wallet.keys.some((key) => escrowKeys.has(hex(key)))).to.equal(false);
  });

  const refusals: [string, () => unknown, string][] = [
    ['an uncompressed member key', () => opsWalletKey(new Uint8Array(65).fill(4)), 'member peg key must be a 33-byte compressed secp256k1 point'],
    ['a private key of zero', () => opsWalletPrivateKey(new Uint8Array(32)), 'private key must be 32 bytes in [1, n-1]'],
    ['a private key of 31 bytes', () => opsWalletPrivateKey(new Uint8Array(31).fill(1)), 'private key must be 32 bytes in [1, n-1]'],
  ];
  for (const [what, call, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(call).to.throw(ValidationError, message);
    });
  }
});
