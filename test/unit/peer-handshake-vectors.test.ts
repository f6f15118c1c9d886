import { expect } from 'chai';
import * as noble from '@noble/ed25519';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { BROADCAST, decodeFrame, frameMacValid, sealFrame, tagFrame } from '../../federation/transport/frame.ts';
import { decodeHello, decodeProof, decodeWelcome, encodeHello, encodeProof, encodeWelcome, signTranscript, transcriptHash, transcriptSignatureValid } from '../../federation/transport/handshake.ts';
import { deriveLinkKeys, sharedSecret } from '../../federation/transport/link-keys.ts';
import { fromHex, independentTaggedHash, readVectors, toHex } from '../helpers/block-vectors.ts';
import { x25519PrivateKeyFromRaw } from '../helpers/x25519.ts';

interface HandshakeVectors {
  inputs: Record<'chainId' | 'dialerBlockSeed' | 'acceptorBlockSeed' | 'dialerBlockKey' | 'acceptorBlockKey' | 'dialerNonce' | 'dialerChallenge' | 'acceptorNonce' | 'acceptorChallenge', string> &
    Record<'dialerX25519PrivateKey' | 'dialerX25519PublicKey' | 'acceptorX25519PrivateKey' | 'acceptorX25519PublicKey', string> & { dialer: number; acceptor: number };
  hello: string;
  transcriptHash: string;
  welcome: string;
  proof: string;
  sharedSecret: string;
  dialerToAcceptorKey: string;
  acceptorToDialerKey: string;
  frame: { sender: number; recipient: number; sessionNonce: string; sequence: string; timestampMs: string; payload: string; digest: string; sealedForAcceptor: string };
}

const v = readVectors<HandshakeVectors>('peer-handshake.json');
const { inputs } = v;
const utf8 = (text: string) => new TextEncoder().encode(text);

const hello = {
  chainId: fromHex(inputs.chainId),
  dialer: inputs.dialer,
  acceptor: inputs.acceptor,
  nonce: fromHex(inputs.dialerNonce),
  challenge: fromHex(inputs.dialerChallenge),
  ephemeralKey: fromHex(inputs.dialerX25519PublicKey),
};
const welcomeBody = { nonce: fromHex(inputs.acceptorNonce), challenge: fromHex(inputs.acceptorChallenge), ephemeralKey: fromHex(inputs.acceptorX25519PublicKey) };
const transcript = fromHex(v.transcriptHash);

describe('peer handshake and frame vectors (docs/PROTOCOL.md, Part III)', () => {
  it('encodes and decodes the hello', () => {
    expect(toHex(encodeHello(hello))).to.equal(v.hello);
    expect(decodeHello(fromHex(v.hello))).to.deep.equal(hello);
  });

  it('hashes the transcript as the protocol states it, computed independently with @noble/hashes', () => {
    expect(toHex(transcriptHash({ hello, welcome: welcomeBody }))).to.equal(v.transcriptHash);
    const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
    const fields = [hello.chainId, u16(hello.dialer), u16(hello.acceptor), hello.nonce, hello.challenge, hello.ephemeralKey, welcomeBody.nonce, welcomeBody.challenge, welcomeBody.ephemeralKey];
    expect(toHex(independentTaggedHash('Strongbox/peer-transcript', ...fields))).to.equal(v.transcriptHash);
  });

  it('encodes the welcome and the proof, whose signatures by the block keys @noble/ed25519 verifies over role ‖ transcript', async () => {
    const welcome = decodeWelcome(fromHex(v.welcome));
    expect(welcome).to.deep.include(welcomeBody);
    expect(toHex(encodeWelcome(welcome))).to.equal(v.welcome);
    expect(toHex(welcome.signature)).to.equal(toHex(signTranscript(fromHex(inputs.acceptorBlockSeed), 'acceptor', transcript)));
    const proof = decodeProof(fromHex(v.proof));
    expect(toHex(encodeProof(proof))).to.equal(v.proof);
    for (const [role, byte, signature, key] of [
      ['acceptor', 0x41, welcome.signature, inputs.acceptorBlockKey],
      ['dialer', 0x44, proof, inputs.dialerBlockKey],
    ] as const) {
      expect(transcriptSignatureValid(fromHex(key), role, transcript, signature), role).to.equal(true);
      expect(await noble.verifyAsync(signature, independentTaggedHash('Strongbox/peer-handshake', Uint8Array.of(byte), transcript), fromHex(key)), role).to.equal(true);
    }
    // Each signature is bound to its role: the acceptor's does not pass as the dialer's.
    expect(transcriptSignatureValid(fromHex(inputs.acceptorBlockKey), 'dialer', transcript, welcome.signature)).to.equal(false);
  });

  it('derives the link keys from the X25519 secret and the transcript, as @noble computes them, one per direction', () => {
    const secret = sharedSecret(x25519PrivateKeyFromRaw(fromHex(inputs.dialerX25519PrivateKey)), fromHex(inputs.acceptorX25519PublicKey));
    expect(toHex(secret)).to.equal(v.sharedSecret);
    expect(toHex(x25519.getSharedSecret(fromHex(inputs.acceptorX25519PrivateKey), fromHex(inputs.dialerX25519PublicKey)))).to.equal(v.sharedSecret);
    const nobleKey = (info: string) => toHex(hkdf(sha256, secret, transcript, utf8(info), 32));
    expect(nobleKey('Strongbox/peer-mac dialer->acceptor')).to.equal(v.dialerToAcceptorKey);
    expect(nobleKey('Strongbox/peer-mac acceptor->dialer')).to.equal(v.acceptorToDialerKey);
    const dialer = deriveLinkKeys(secret, transcript, 'dialer');
    const acceptor = deriveLinkKeys(fromHex(v.sharedSecret), transcript, 'acceptor');
    expect([toHex(dialer.send.export()), toHex(dialer.receive.export())]).to.deep.equal([v.dialerToAcceptorKey, v.acceptorToDialerKey]);
    expect([toHex(acceptor.send.export()), toHex(acceptor.receive.export())]).to.deep.equal([v.acceptorToDialerKey, v.dialerToAcceptorKey]);
  });

  it('seals a frame with the MAC of its tagged hash under the sender direction key, which only that direction accepts', () => {
    const { frame } = v;
    const fields = {
      chainId: hello.chainId,
      sender: frame.sender,
      recipient: frame.recipient,
      sessionNonce: fromHex(frame.sessionNonce),
      sequence: BigInt(frame.sequence),
      timestampMs: BigInt(frame.timestampMs),
      payload: fromHex(frame.payload),
    };
    expect(fields.recipient).to.equal(BROADCAST);
    const dialer = deriveLinkKeys(fromHex(v.sharedSecret), transcript, 'dialer');
    const acceptor = deriveLinkKeys(fromHex(v.sharedSecret), transcript, 'acceptor');
    const sealed = sealFrame(fields);
    expect(toHex(sealed.digest)).to.equal(frame.digest);
    const bytes = tagFrame(sealed, dialer.send);
    expect(toHex(bytes)).to.equal(frame.sealedForAcceptor);
    const macLength = 32;
    expect(toHex(independentTaggedHash('Strongbox/peer', bytes.subarray(0, bytes.length - macLength)))).to.equal(frame.digest);
    expect(toHex(hmac(sha256, fromHex(v.dialerToAcceptorKey), fromHex(frame.digest)))).to.equal(toHex(bytes.subarray(bytes.length - macLength)));
    const decoded = decodeFrame(bytes, 1024);
    expect(decoded).to.deep.include({ ...fields, version: 2 });
    expect(frameMacValid(acceptor.receive, bytes, decoded)).to.equal(true);
    // Reflected back to its sender, it is checked under the other direction's key and fails.
    expect(frameMacValid(dialer.receive, bytes, decoded)).to.equal(false);
  });
});
