import { SIGNATURE_LENGTH, signMessage, verifyFreshSignature } from '../../sidechain/ed25519.ts';
import { Reader, Writer } from '../../sidechain/encoding/index.ts';
import { taggedHash } from '../../sidechain/hash.ts';

export const FRAME_VERSION = 1;
export const CHAIN_ID_LENGTH = 32;
export const SESSION_NONCE_LENGTH = 16;
/** Recipient index meaning "every member": one frame is signed once and sent to all peers. */
export const BROADCAST = 0xffff;
/** Everything in a frame except the payload, with the longest (5-byte) length prefix. */
export const FRAME_OVERHEAD = 1 + CHAIN_ID_LENGTH + 2 + 2 + SESSION_NONCE_LENGTH + 8 + 8 + 5 + SIGNATURE_LENGTH;

/**
 * One peer message. The session nonce is drawn once per sender process and announced in the
 * handshake; the sequence grows by one with every frame the sender signs in that session, across
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
  signature: Uint8Array;
}

export type FrameFields = Omit<Frame, 'version' | 'signature'>;

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

/**
 * Encodes and signs a frame. The signature covers every byte before it, under the tag
 * 'Strongbox/peer', so a peer signature can never be mistaken for a vote or a block signature.
 * The payload is hashed in place and copied once, into the outgoing buffer.
 */
export function sealFrame(seed: Uint8Array, fields: FrameFields): Buffer {
  const head = encodeHead(fields);
  const signature = signMessage(seed, taggedHash('Strongbox/peer', head, fields.payload));
  return Buffer.concat([head, fields.payload, signature]);
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
    signature: reader.bytes(SIGNATURE_LENGTH, 'signature'),
  };
  reader.end();
  return frame;
}

/** `bytes` must be the exact encoding `frame` was decoded from: the signed part is all but the signature. */
export function frameSignatureValid(publicKey: Uint8Array, bytes: Uint8Array, frame: Frame): boolean {
  const signed = taggedHash('Strongbox/peer', bytes.subarray(0, bytes.length - SIGNATURE_LENGTH));
  return verifyFreshSignature(publicKey, signed, frame.signature);
}
