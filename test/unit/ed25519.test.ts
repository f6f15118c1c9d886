import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { noble } from '../helpers/noble-ed25519.ts';
import { generateKeyPair, publicKeyFromSeed, signatureWork, signMessage, signVerified, verifyFreshSignature, verifySignature, verifySignatureInBackground, type SignatureWork } from '../../sidechain/ed25519.ts';

const rfc = JSON.parse(readFileSync(new URL('../vectors/ed25519-rfc8032.json', import.meta.url), 'utf8')) as {
  vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe('Ed25519 (node:crypto) against RFC 8032 and @noble/ed25519', () => {
  for (const vector of rfc.vectors) {
    it(`${vector.name}: derives the public key, signs and verifies exactly as the RFC`, () => {
      const seed = bytes(vector.secretKey);
      const message = bytes(vector.message);
      expect(hex(publicKeyFromSeed(seed))).to.equal(vector.publicKey);
      expect(hex(signMessage(seed, message))).to.equal(vector.signature);
      expect(verifySignature(bytes(vector.publicKey), message, bytes(vector.signature))).to.equal(true);
      expect(verifyFreshSignature(bytes(vector.publicKey), message, bytes(vector.signature))).to.equal(true);
      expect(hex(noble.getPublicKey(seed))).to.equal(vector.publicKey);
      expect(hex(noble.sign(message, seed))).to.equal(vector.signature);
      expect(noble.verify(bytes(vector.signature), message, bytes(vector.publicKey))).to.equal(true);
    });
  }

  it('agrees with @noble/ed25519 on random keys and messages, valid and tampered', () => {
    for (let i = 0; i < 50; i++) {
      const { seed, publicKey } = generateKeyPair();
      const message = new Uint8Array(Buffer.from(`message ${i}`));
      const signature = signMessage(seed, message);
      expect(hex(noble.sign(message, seed))).to.equal(hex(signature));
      const tampered = signature.slice();
      tampered[i % 64]! ^= 1;
      for (const candidate of [signature, tampered]) {
        expect(verifySignature(publicKey, message, candidate)).to.equal(noble.verify(candidate, message, publicKey));
        expect(verifyFreshSignature(publicKey, message, candidate)).to.equal(noble.verify(candidate, message, publicKey));
      }
    }
  });

  it('rejects malformed keys and signatures instead of throwing', () => {
    const { seed, publicKey } = generateKeyPair();
    const signature = signMessage(seed, new Uint8Array());
    expect(verifySignature(publicKey.subarray(1), new Uint8Array(), signature)).to.equal(false);
    expect(verifySignature(publicKey, new Uint8Array(), signature.subarray(1))).to.equal(false);
    expect(verifySignature(new Uint8Array(32).fill(0xff), new Uint8Array(), signature)).to.equal(false);
    for (const [key, candidate] of [[publicKey.subarray(1), signature], [publicKey, signature.subarray(1)], [new Uint8Array(32).fill(0xff), signature]] as const) {
      expect(verifyFreshSignature(key, new Uint8Array(), candidate)).to.equal(false);
    }
  });

  it('verifies on the thread pool without ever making an invalid signature pass', async () => {
    const { seed, publicKey } = generateKeyPair();
    const message = new Uint8Array(32).fill(5);
    const signature = signMessage(seed, message);
    const forged = Uint8Array.from(signature, (byte, i) => (i === 0 ? byte ^ 1 : byte));
    await Promise.all([
      verifySignatureInBackground(publicKey, message, signature),
      verifySignatureInBackground(publicKey, message, forged),
      verifySignatureInBackground(publicKey.subarray(1), message, signature),
      verifySignatureInBackground(new Uint8Array(32).fill(0xff), message, signature),
    ]);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(publicKey, message, forged)).to.equal(false);
    expect(verifySignature(publicKey, new Uint8Array(32).fill(6), signature)).to.equal(false);
  });

  it('passes a signature verified on the thread pool again only with the very key, message and bytes it verified with', async () => {
    const { seed, publicKey } = generateKeyPair();
    const other = generateKeyPair();
    const message = new Uint8Array(32).fill(7);
    const signature = signMessage(seed, message);
    await verifySignatureInBackground(publicKey, message, signature);
    expect(verifySignature(Uint8Array.from(publicKey), Uint8Array.from(message), signature)).to.equal(true);
    expect(verifySignature(other.publicKey, message, signature)).to.equal(false);
    expect(verifySignature(publicKey, new Uint8Array(32).fill(8), signature)).to.equal(false);
    expect(verifySignature(publicKey, message.subarray(0, 31), signature)).to.equal(false);
    // The same object changed after it verified: its bytes are another signature, which never did.
    signature[5]! ^= 1;
    expect(verifySignature(publicKey, message, signature)).to.equal(false);
  });

  it('remembers a signature it makes with signVerified as the one signMessage makes, valid by every check, and passes nothing else', () => {
    const { seed, publicKey } = generateKeyPair();
    const other = generateKeyPair();
    const message = new Uint8Array(32).fill(9);
    const signature = signVerified(seed, message);
    expect(hex(signature)).to.equal(hex(signMessage(seed, message)));
    expect(verifyFreshSignature(publicKey, message, signature)).to.equal(true);
    expect(referenceVerify(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(other.publicKey, message, signature)).to.equal(false);
    expect(verifySignature(publicKey, new Uint8Array(32).fill(10), signature)).to.equal(false);
    signature[5]! ^= 1;
    expect(verifySignature(publicKey, message, signature)).to.equal(false);
  });

  it('counts each verification where it ran and each cache lookup by its result, and a refusal before verifying as no verification', async () => {
    const since = (before: SignatureWork) => {
      const now = signatureWork();
      return { verified: now.verified - before.verified, verifiedInBackground: now.verifiedInBackground - before.verifiedInBackground, cacheHits: now.cacheHits - before.cacheHits, cacheMisses: now.cacheMisses - before.cacheMisses };
    };
    const { seed, publicKey } = generateKeyPair();
    const message = new Uint8Array(32).fill(11);
    const signature = signMessage(seed, message);
    const start = signatureWork();
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    expect(since(start)).to.deep.equal({ verified: 1, verifiedInBackground: 0, cacheHits: 1, cacheMisses: 1 });

    const other = new Uint8Array(32).fill(12);
    const pooled = signatureWork();
    await verifySignatureInBackground(publicKey, other, signMessage(seed, other));
    await verifySignatureInBackground(publicKey, other, signMessage(seed, other));
    expect(verifySignature(publicKey, other, signMessage(seed, other))).to.equal(true);
    expect(since(pooled)).to.deep.equal({ verified: 0, verifiedInBackground: 1, cacheHits: 2, cacheMisses: 1 });

    const outside = signatureWork();
    expect(verifyFreshSignature(publicKey, message, signature)).to.equal(true);
    expect(verifySignature(new Uint8Array(32).fill(0xff), message, signature)).to.equal(false);
    expect(verifySignature(publicKey.subarray(1), message, signature)).to.equal(false);
    expect(since(outside)).to.deep.equal({ verified: 1, verifiedInBackground: 0, cacheHits: 0, cacheMisses: 1 });
  });
});

const edge = JSON.parse(readFileSync(new URL('../vectors/ed25519-edge.json', import.meta.url), 'utf8')) as {
  message: string;
  vectors: { name: string; publicKey: string; signature: string; valid: boolean }[];
};

/**
 * The chain's rule (docs/PROTOCOL.md, Part I, section 1) written out over @noble/curves' group
 * arithmetic: the key decoded as RFC 8032 decodes it and not of small order, S below L, and
 * [S]B - [k]A encoding to exactly the bytes of R.
 */
function referenceVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  let key: InstanceType<typeof ed25519.Point>;
  try {
    key = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  const negativeZero = key.toAffine().x === 0n && (publicKey[31]! & 0x80) !== 0;
  if (negativeZero || key.isSmallOrder()) return false;
  const order = ed25519.Point.Fn.ORDER;
  const littleEndian = (value: Uint8Array) => value.reduceRight((sum, byte) => (sum << 8n) | BigInt(byte), 0n);
  const scalar = littleEndian(signature.subarray(32));
  if (scalar >= order) return false;
  const challenge = littleEndian(sha512(Buffer.concat([signature.subarray(0, 32), publicKey, message]))) % order;
  const commitment = ed25519.Point.BASE.multiplyUnsafe(scalar).subtract(key.multiplyUnsafe(challenge));
  return hex(commitment.toBytes()) === hex(signature.subarray(0, 32));
}

/** OpenSSL's verdict alone, with none of the chain's checks of the key and of S before it. */
function opensslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return verify(null, message, createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature);
}

describe('Ed25519: the cases where verifiers differ', () => {
  const message = bytes(edge.message);
  const smallOrder = edge.vectors.filter((vector) => /identity as the key|negative zero|order 8 and/.test(vector.name));

  it('refuses a key of small order on every check, the first and each after it, however the same bytes were met before', async () => {
    expect(smallOrder).to.have.length(3);
    for (const vector of smallOrder) {
      const [publicKey, signature] = [bytes(vector.publicKey), bytes(vector.signature)];
      // OpenSSL alone accepts these: only the chain's check of the key refuses them.
      expect(opensslVerify(publicKey, message, signature), vector.name).to.equal(true);
      expect(referenceVerify(publicKey, message, signature), vector.name).to.equal(false);
      expect(noble.verify(signature, message, publicKey, { zip215: false }), vector.name).to.equal(false);
      for (let check = 0; check < 3; check++) expect(verifySignature(publicKey, message, signature), vector.name).to.equal(false);
      await verifySignatureInBackground(publicKey, message, signature);
      expect(verifySignature(Uint8Array.from(publicKey), Uint8Array.from(message), Uint8Array.from(signature)), vector.name).to.equal(false);
      expect(verifyFreshSignature(publicKey, message, signature), vector.name).to.equal(false);
    }
  });

  it('passes a remembered signature only under the key and signature it was checked with, never under the same bytes cut elsewhere', async () => {
    const { seed, publicKey } = generateKeyPair();
    const signature = signMessage(seed, message);
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
    const joined = Buffer.concat([publicKey, signature, message]);
    // The cache's id is a hash of key, signature and message joined: these are the same joined bytes.
    const cuts: [Uint8Array, Uint8Array, Uint8Array][] = [
      [joined.subarray(0, 33), joined.subarray(33, 96), joined.subarray(96)],
      [joined.subarray(0, 31), joined.subarray(31, 96), joined.subarray(96)],
      [joined.subarray(0, 32), joined.subarray(32, 97), joined.subarray(97)],
      [joined.subarray(0, 32), joined.subarray(32, 95), joined.subarray(95)],
    ];
    for (const [key, candidate, signed] of cuts) {
      expect(verifySignature(key, signed, candidate)).to.equal(false);
      await verifySignatureInBackground(key, signed, candidate);
      expect(verifySignature(key, signed, candidate)).to.equal(false);
    }
    expect(verifySignature(publicKey, message, signature)).to.equal(true);
  });

  for (const vector of edge.vectors) {
    it(`${vector.valid ? 'accepts' : 'refuses'} ${vector.name}, as the rule written out over @noble/curves does`, async () => {
      const [publicKey, signature] = [bytes(vector.publicKey), bytes(vector.signature)];
      expect(referenceVerify(publicKey, message, signature)).to.equal(vector.valid);
      expect(verifyFreshSignature(publicKey, message, signature)).to.equal(vector.valid);
      await verifySignatureInBackground(publicKey, message, signature);
      expect(verifySignature(publicKey, message, signature)).to.equal(vector.valid);
      // Valid here is valid for RFC 8032's strict decoding and for ZIP-215: an independent verifier of either kind accepts it.
      if (vector.valid) {
        expect(noble.verify(signature, message, publicKey, { zip215: false })).to.equal(true);
        expect(noble.verify(signature, message, publicKey, { zip215: true })).to.equal(true);
      }
    });
  }
});
