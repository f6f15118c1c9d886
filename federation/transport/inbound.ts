import type { KeyObject } from 'node:crypto';
import { sameBytes } from '../../sidechain/bytes.ts';
import { decodeFrame, FRAME_OVERHEAD, FRAME_VERSION, BROADCAST, frameMacValid, type Frame } from './frame.ts';

export type FrameDropReason =
  | 'oversized'
  | 'malformed'
  | 'unsupported-version'
  | 'wrong-chain'
  | 'unknown-sender'
  | 'sender-mismatch'
  | 'wrong-recipient'
  | 'bad-mac'
  | 'replayed'
  | 'stale';

export interface InboundRules {
  chainId: Uint8Array;
  memberIndex: number;
  /** Members are indices 0 to memberCount - 1. */
  memberCount: number;
  maxMessageBytes: number;
  maxClockSkewMs: number;
}

/** What the handshake established about the peer at the other end of one connection. */
export interface PeerSession {
  peer: number;
  nonce: Uint8Array;
  /** Highest sequence accepted from this peer's session so far, over all its connections. */
  lastSequence: bigint;
}

export type InboundVerdict = { frame: Frame } | { drop: FrameDropReason };

/**
 * Decides whether one frame received on an authenticated connection is delivered: it must carry
 * the MAC of that connection's receive key. Cheap checks run before the MAC, and the sequence is
 * recorded only for a frame that passed them all, so a forged frame can never advance the window
 * and make a genuine one look replayed.
 */
export function admitFrame(rules: InboundRules, session: PeerSession, receiveKey: KeyObject, bytes: Uint8Array, nowMs: number): InboundVerdict {
  if (bytes.length > rules.maxMessageBytes + FRAME_OVERHEAD) return { drop: 'oversized' };
  if (bytes.length > 0 && bytes[0] !== FRAME_VERSION) return { drop: 'unsupported-version' };
  let frame: Frame;
  try {
    frame = decodeFrame(bytes, rules.maxMessageBytes);
  } catch {
    return { drop: 'malformed' };
  }
  if (!sameBytes(frame.chainId, rules.chainId)) return { drop: 'wrong-chain' };
  if (frame.sender >= rules.memberCount || frame.sender === rules.memberIndex) return { drop: 'unknown-sender' };
  if (frame.sender !== session.peer) return { drop: 'sender-mismatch' };
  if (frame.recipient !== rules.memberIndex && frame.recipient !== BROADCAST) return { drop: 'wrong-recipient' };
  if (!frameMacValid(receiveKey, bytes, frame)) return { drop: 'bad-mac' };
  if (!sameBytes(frame.sessionNonce, session.nonce) || frame.sequence <= session.lastSequence) return { drop: 'replayed' };
  const skew = frame.timestampMs - BigInt(Math.floor(nowMs));
  if (skew > BigInt(rules.maxClockSkewMs) || -skew > BigInt(rules.maxClockSkewMs)) return { drop: 'stale' };
  session.lastSequence = frame.sequence;
  return { frame };
}
