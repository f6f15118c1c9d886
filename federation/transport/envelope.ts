import { Reader, Writer } from '../../sidechain/encoding/index.ts';
import { signMessage, verifySignature, SIGNATURE_LENGTH } from '../../sidechain/ed25519.ts';
import { taggedHash } from '../../sidechain/hash.ts';

export const CHALLENGE_LENGTH = 32;

/**
 * One frame from a member: sender, a sequence number, the payload, and the sender's signature
 * over all of it plus the chain id and the receiver's connection challenge. The challenge is
 * fresh per connection, so a frame recorded on one connection is worthless on any other; the
 * sequence must grow, so it cannot be replayed on the same one either.
 */
export interface Envelope {
  sender: number;
  sequence: bigint;
  payload: Uint8Array;
  signature: Uint8Array;
}

function signBytes(chainId: Uint8Array, challenge: Uint8Array, sender: number, sequence: bigint, payload: Uint8Array): Uint8Array {
  return taggedHash('Strongbox/peer', chainId, challenge, new Writer().u16(sender).u64(sequence).finish(), payload);
}

export function sealEnvelope(chainId: Uint8Array, challenge: Uint8Array, seed: Uint8Array, sender: number, sequence: bigint, payload: Uint8Array): Uint8Array {
  const signature = signMessage(seed, signBytes(chainId, challenge, sender, sequence, payload));
  return new Writer().u16(sender).u64(sequence).bytes(signature).varBytes(payload).finish();
}

/** Decodes a frame; throws DecodeError on malformed bytes. */
export function openEnvelope(bytes: Uint8Array, maxPayloadBytes: number): Envelope {
  const reader = new Reader(bytes, 'peer frame');
  const envelope = { sender: reader.u16('sender'), sequence: reader.u64('sequence'), signature: reader.bytes(SIGNATURE_LENGTH, 'signature'), payload: reader.varBytes('payload', maxPayloadBytes) };
  reader.end();
  return envelope;
}

export function envelopeIsAuthentic(chainId: Uint8Array, challenge: Uint8Array, publicKey: Uint8Array, envelope: Envelope): boolean {
  return verifySignature(publicKey, signBytes(chainId, challenge, envelope.sender, envelope.sequence, envelope.payload), envelope.signature);
}
