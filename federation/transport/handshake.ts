import { SIGNATURE_LENGTH, signMessage, verifyFreshSignature } from '../../sidechain/ed25519.ts';
import { DecodeError, Reader, Writer } from '../../sidechain/encoding/index.ts';
import { taggedHash } from '../../sidechain/hash.ts';
import { CHAIN_ID_LENGTH, FRAME_VERSION, SESSION_NONCE_LENGTH } from './frame.ts';
import { EPHEMERAL_KEY_LENGTH, type LinkRole } from './link-keys.ts';

export const CHALLENGE_LENGTH = 32;

/** Message kinds, the second byte of every handshake message of every version, after the version. */
export const HELLO = 1;
export const WELCOME = 2;
export const PROOF = 3;

/** Dialer → acceptor: who I am, whom I expect, my session nonce, a fresh challenge and a fresh X25519 key. */
export interface Hello {
  chainId: Uint8Array;
  dialer: number;
  acceptor: number;
  nonce: Uint8Array;
  challenge: Uint8Array;
  ephemeralKey: Uint8Array;
}

/** Acceptor → dialer: its session nonce, a fresh challenge, a fresh X25519 key, and its signature over the transcript. */
export interface Welcome {
  nonce: Uint8Array;
  challenge: Uint8Array;
  ephemeralKey: Uint8Array;
  signature: Uint8Array;
}

/** Everything both sides sign: the hello and the welcome but for its signature. */
export interface Transcript {
  hello: Hello;
  welcome: Omit<Welcome, 'signature'>;
}

/**
 * The transcript hash, the same for both sides: it salts the link keys, so they belong to this
 * handshake only. Both X25519 keys are in it, so a man in the middle who swapped either would
 * need a signature over his own key that only the member can make.
 */
export function transcriptHash({ hello, welcome }: Transcript): Uint8Array {
  const bytes = new Writer()
    .bytes(hello.chainId)
    .u16(hello.dialer)
    .u16(hello.acceptor)
    .bytes(hello.nonce)
    .bytes(hello.challenge)
    .bytes(hello.ephemeralKey)
    .bytes(welcome.nonce)
    .bytes(welcome.challenge)
    .bytes(welcome.ephemeralKey)
    .finish();
  return taggedHash('Strongbox/peer-transcript', bytes);
}

/** What each side signs: the role byte first, so neither signature can stand in for the other. */
function signedMessage(role: LinkRole, transcript: Uint8Array): Uint8Array {
  return taggedHash('Strongbox/peer-handshake', Uint8Array.of(role === 'dialer' ? 0x44 : 0x41), transcript);
}

export function signTranscript(seed: Uint8Array, role: LinkRole, transcript: Uint8Array): Uint8Array {
  return signMessage(seed, signedMessage(role, transcript));
}

export function transcriptSignatureValid(publicKey: Uint8Array, role: LinkRole, transcript: Uint8Array, signature: Uint8Array): boolean {
  return verifyFreshSignature(publicKey, signedMessage(role, transcript), signature);
}

function start(kind: number): Writer {
  return new Writer().u8(FRAME_VERSION).u8(kind);
}

function open(bytes: Uint8Array, kind: number, what: string): Reader {
  const reader = new Reader(bytes, what);
  const version = reader.u8('version');
  if (version !== FRAME_VERSION) throw new DecodeError(what, `unsupported version ${version}`);
  const actual = reader.u8('kind');
  if (actual !== kind) throw new DecodeError(what, `expected message kind ${kind}, got ${actual}`);
  return reader;
}

export function encodeHello(hello: Hello): Uint8Array {
  return start(HELLO).bytes(hello.chainId).u16(hello.dialer).u16(hello.acceptor).bytes(hello.nonce).bytes(hello.challenge).bytes(hello.ephemeralKey).finish();
}

export function decodeHello(bytes: Uint8Array): Hello {
  const reader = open(bytes, HELLO, 'handshake hello');
  const hello = {
    chainId: reader.bytes(CHAIN_ID_LENGTH, 'chain id'),
    dialer: reader.u16('dialer'),
    acceptor: reader.u16('acceptor'),
    nonce: reader.bytes(SESSION_NONCE_LENGTH, 'nonce'),
    challenge: reader.bytes(CHALLENGE_LENGTH, 'challenge'),
    ephemeralKey: reader.bytes(EPHEMERAL_KEY_LENGTH, 'ephemeral key'),
  };
  reader.end();
  return hello;
}

/** Who a hello says dials whom: the fields at the head of the hello of every version. */
export interface HelloClaim {
  chainId: Uint8Array;
  dialer: number;
  acceptor: number;
}

/**
 * The chain and members a hello of any version names: every version's hello begins with
 * `version ‖ 0x01 ‖ chain id ‖ dialer u16 ‖ acceptor u16` (PROTOCOL.md, Versions), so an acceptor
 * can say which member a dialer of another release says it is. Nobody signs this across versions:
 * it is a claim. Undefined for bytes too short to hold it.
 */
export function readHelloClaim(bytes: Uint8Array): HelloClaim | undefined {
  const reader = new Reader(bytes, 'handshake hello of another version');
  try {
    reader.u8('version');
    reader.u8('kind');
    return { chainId: reader.bytes(CHAIN_ID_LENGTH, 'chain id'), dialer: reader.u16('dialer'), acceptor: reader.u16('acceptor') };
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
}

export function encodeWelcome(welcome: Welcome): Uint8Array {
  return start(WELCOME).bytes(welcome.nonce).bytes(welcome.challenge).bytes(welcome.ephemeralKey).bytes(welcome.signature).finish();
}

export function decodeWelcome(bytes: Uint8Array): Welcome {
  const reader = open(bytes, WELCOME, 'handshake welcome');
  const welcome = {
    nonce: reader.bytes(SESSION_NONCE_LENGTH, 'nonce'),
    challenge: reader.bytes(CHALLENGE_LENGTH, 'challenge'),
    ephemeralKey: reader.bytes(EPHEMERAL_KEY_LENGTH, 'ephemeral key'),
    signature: reader.bytes(SIGNATURE_LENGTH, 'signature'),
  };
  reader.end();
  return welcome;
}

export function encodeProof(signature: Uint8Array): Uint8Array {
  return start(PROOF).bytes(signature).finish();
}

export function decodeProof(bytes: Uint8Array): Uint8Array {
  const reader = open(bytes, PROOF, 'handshake proof');
  const signature = reader.bytes(SIGNATURE_LENGTH, 'signature');
  reader.end();
  return signature;
}
