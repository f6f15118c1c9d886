import type { KeyObject } from 'node:crypto';
import { Reader, Writer } from '../../sidechain/encoding/index.ts';
import { taggedHash } from '../../sidechain/hash.ts';
import { MAC_LENGTH, macOf, macValid } from './link-keys.ts';

/** Version 2 replaced the Ed25519 signature of every frame by a MAC under the link's keys. */
export const FRAME_VERSION = 2;
export const CHAIN_ID_LENGTH = 32;
export const SESSION_NONCE_LENGTH = 16;
/** Recipient index meaning "every member": one frame is hashed once and sent to all peers. */
export const BROADCAST = 0xffff;
/** Everything in a frame except the payload, with the longest (5-byte) length prefix. */
export const FRAME_OVERHEAD = 1 + CHAIN_ID_LENGTH + 2 + 2 + SESSION_NONCE_LENGTH + 8 + 8 + 5 + MAC_LENGTH;

/**
 * One peer message. The session nonce is drawn once per sender process and announced in the
 * handshake; the sequence grows by one with every frame the sender seals in that session, across
 * all its peers, so a receiver only needs it to grow (direct sends to others leave gaps).
 */
export interface Frame {
  version: number;
  chainId: Uint8Array;
  sender: number;
  recipient: number;
  sessionNonce: Uint8Array;
  sequence: bigint;
  timestampMs: bigint;
  payload: Uint8Array;
  mac: Uint8Array;
}

export type FrameFields = Omit<Frame, 'version' | 'mac'>;

/** A frame without its MAC, and the digest every link's MAC is computed over. */
export interface SealedFrame {
  head: Uint8Array;
  payload: Uint8Array;
  digest: Uint8Array;
}

function encodeHead(fields: FrameFields): Uint8Array {
  return new Writer()
    .u8(FRAME_VERSION)
    .bytes(fields.chainId)
    .u16(fields.sender)
    .u16(fields.recipient)
    .bytes(fields.sessionNonce)
    .u64(fields.sequence)
    .u64(fields.timestampMs)
    .varint(fields.payload.length)
    .finish();
}

/** Under the tag 'Strongbox/peer', so a frame digest can never be mistaken for any other hash. */
const digestOf = (...parts: Uint8Array[]) => taggedHash('Strongbox/peer', ...parts);

/**
 * Encodes a frame's head and hashes the frame once; `tagFrame` then adds the MAC of one link. A
 * broadcast costs one hash of the payload and a MAC of 32 bytes per peer, not a hash per peer.
 */
export function sealFrame(fields: FrameFields): SealedFrame {
  const head = encodeHead(fields);
  return { head, payload: fields.payload, digest: digestOf(head, fields.payload) };
}

export function taggedLength(sealed: SealedFrame): number {
  return sealed.head.length + sealed.payload.length + MAC_LENGTH;
}

/**
 * The bytes sent on one link. The payload is copied once per link, as the one signed frame was
 * copied once in all: ws may still be writing one link's buffer when the next is built, so a
 * shared buffer cannot take each link's tag in turn.
 */
export function tagFrame(sealed: SealedFrame, sendKey: KeyObject): Buffer {
  return Buffer.concat([sealed.head, sealed.payload, macOf(sendKey, sealed.digest)]);
}

/** Throws DecodeError unless `bytes` is exactly one canonical frame with a payload within the limit. */
export function decodeFrame(bytes: Uint8Array, maxPayloadBytes: number): Frame {
  const reader = new Reader(bytes, 'peer frame');
  const frame: Frame = {
    version: reader.u8('version'),
    chainId: reader.bytes(CHAIN_ID_LENGTH, 'chain id'),
    sender: reader.u16('sender'),
    recipient: reader.u16('recipient'),
    sessionNonce: reader.bytes(SESSION_NONCE_LENGTH, 'session nonce'),
    sequence: reader.u64('sequence'),
    timestampMs: reader.u64('timestamp'),
    payload: reader.varBytes('payload', maxPayloadBytes),
    mac: reader.bytes(MAC_LENGTH, 'mac'),
  };
  reader.end();
  return frame;
}

/** `bytes` must be the exact encoding `frame` was decoded from: the MAC covers all but itself. */
export function frameMacValid(receiveKey: KeyObject, bytes: Uint8Array, frame: Frame): boolean {
  return macValid(receiveKey, digestOf(bytes.subarray(0, bytes.length - MAC_LENGTH)), frame.mac);
}
