import { expect } from 'chai';
import { createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { deriveLinkKeys, generateEphemeralKey, macOf, macValid, sharedSecret } from '../../federation/transport/link-keys.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { fromHex, readVectors, toHex } from '../helpers/block-vectors.ts';
import { rawX25519PrivateKey, x25519PrivateKeyFromRaw } from '../helpers/x25519.ts';

interface LinkCryptoVectors {
  x25519: { alicePrivateKey: string; alicePublicKey: string; bobPrivateKey: string; bobPublicKey: string; sharedSecret: string };
  x25519LowOrder: { name: string; publicKey: string }[];
  hkdfSha256: { ikm: string; salt: string; info: string; length: number; okm: string };
  hmacSha256: { name: string; key: string; data: string; mac: string }[];
}

const vectors = readVectors<LinkCryptoVectors>('peer-link-crypto.json');

const rawSecret = (key: KeyObject) => toHex(key.export());
const INFO = { dialer: 'Strongbox/peer-mac dialer->acceptor', acceptor: 'Strongbox/peer-mac acceptor->dialer' };

describe('peer link keys (node:crypto) against the RFCs and @noble', () => {
  describe('X25519', () => {
    it('agrees the RFC 7748 §6.1 shared secret from both sides, as @noble/curves does', () => {
      const v = vectors.x25519;
      expect(toHex(sharedSecret(x25519PrivateKeyFromRaw(fromHex(v.alicePrivateKey)), fromHex(v.bobPublicKey)))).to.equal(v.sharedSecret);
      expect(toHex(sharedSecret(x25519PrivateKeyFromRaw(fromHex(v.bobPrivateKey)), fromHex(v.alicePublicKey)))).to.equal(v.sharedSecret);
      expect(toHex(x25519.getPublicKey(fromHex(v.alicePrivateKey)))).to.equal(v.alicePublicKey);
      expect(toHex(x25519.getSharedSecret(fromHex(v.alicePrivateKey), fromHex(v.bobPublicKey)))).to.equal(v.sharedSecret);
    });

    it('draws key pairs whose raw public key and shared secrets agree with @noble/curves', () => {
      for (let i = 0; i < 20; i++) {
        const [a, b] = [generateEphemeralKey(), generateEphemeralKey()];
        expect(toHex(a.publicKey)).to.equal(toHex(x25519.getPublicKey(rawX25519PrivateKey(a.privateKey))));
        const secret = toHex(sharedSecret(a.privateKey, b.publicKey));
        expect(toHex(sharedSecret(b.privateKey, a.publicKey))).to.equal(secret);
        expect(toHex(x25519.getSharedSecret(rawX25519PrivateKey(a.privateKey), b.publicKey))).to.equal(secret);
      }
    });

    for (const point of vectors.x25519LowOrder) {
      it(`refuses a peer key of low order, ${point.name}, with a DecodeError, as @noble/curves refuses it`, () => {
        const own = generateEphemeralKey();
        expect(() => sharedSecret(own.privateKey, fromHex(point.publicKey))).to.throw(DecodeError, /low order/);
        expect(() => x25519.getSharedSecret(rawX25519PrivateKey(own.privateKey), fromHex(point.publicKey))).to.throw();
      });
    }

    it('refuses a peer key of the wrong length with a DecodeError', () => {
      expect(() => sharedSecret(generateEphemeralKey().privateKey, new Uint8Array(31).fill(9))).to.throw(DecodeError, /32 bytes/);
    });
  });

  describe('HKDF-SHA256', () => {
    it('node:crypto and @noble/hashes both give RFC 5869 test case 1', () => {
      const v = vectors.hkdfSha256;
      expect(toHex(new Uint8Array(hkdfSync('sha256', fromHex(v.ikm), fromHex(v.salt), fromHex(v.info), v.length)))).to.equal(v.okm);
      expect(toHex(hkdf(sha256, fromHex(v.ikm), fromHex(v.salt), fromHex(v.info), v.length))).to.equal(v.okm);
    });

    it('derives each direction\'s key as @noble/hashes does, one side\'s send key the other\'s receive key', () => {
      for (let i = 0; i < 20; i++) {
        const secret = new Uint8Array(randomBytes(32));
        const transcript = new Uint8Array(randomBytes(32));
        const dialer = deriveLinkKeys(secret, transcript, 'dialer');
        const acceptor = deriveLinkKeys(secret, transcript, 'acceptor');
        const expected = (info: string) => toHex(hkdf(sha256, secret, transcript, new TextEncoder().encode(info), 32));
        expect(rawSecret(dialer.send)).to.equal(expected(INFO.dialer));
        expect(rawSecret(dialer.receive)).to.equal(expected(INFO.acceptor));
        expect(rawSecret(acceptor.send)).to.equal(rawSecret(dialer.receive));
        expect(rawSecret(acceptor.receive)).to.equal(rawSecret(dialer.send));
      }
    });

    it('derives other keys from another transcript hash with the same secret', () => {
      const secret = new Uint8Array(randomBytes(32));
      const keys = [1, 2].map((fill) => rawSecret(deriveLinkKeys(secret, new Uint8Array(32).fill(fill), 'dialer').send));
      expect(keys[0]).to.not.equal(keys[1]);
    });
  });

  describe('HMAC-SHA256', () => {
    for (const v of vectors.hmacSha256) {
      it(`gives ${v.name}, as node:crypto and @noble/hashes do`, () => {
        expect(toHex(macOf(createSecretKey(fromHex(v.key)), fromHex(v.data)))).to.equal(v.mac);
        expect(createHmac('sha256', fromHex(v.key)).update(fromHex(v.data)).digest('hex')).to.equal(v.mac);
        expect(toHex(hmac(sha256, fromHex(v.key), fromHex(v.data)))).to.equal(v.mac);
      });
    }

    it('agrees with @noble/hashes on random keys and digests, and accepts only the exact tag', () => {
      for (let i = 0; i < 50; i++) {
        const key = new Uint8Array(randomBytes(32));
        const digest = new Uint8Array(randomBytes(32));
        const mac = macOf(createSecretKey(key), digest);
        expect(toHex(mac)).to.equal(toHex(hmac(sha256, key, digest)));
        const flipped = Uint8Array.from(mac, (byte, j) => (j === i % 32 ? byte ^ 1 : byte));
        expect(macValid(createSecretKey(key), digest, mac)).to.equal(true);
        expect(macValid(createSecretKey(key), digest, flipped)).to.equal(false);
        expect(macValid(createSecretKey(key), digest, mac.subarray(1))).to.equal(false);
        expect(macValid(createSecretKey(new Uint8Array(randomBytes(32))), digest, mac)).to.equal(false);
      }
    });
  });
});
