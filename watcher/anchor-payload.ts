import { opcodes, type Transaction } from 'bitcoinjs-lib';
import { sameBytes } from '../sidechain/bytes.ts';
import { Reader, Writer } from '../sidechain/encoding/index.ts';
import { ValidationError } from '../sidechain/errors.ts';

/** ASCII "SBX1": the format and its version, so an anchor is recognisable among all OP_RETURNs. */
export const ANCHOR_MAGIC = Uint8Array.from(Buffer.from('SBX1', 'ascii'));
export const ANCHOR_PAYLOAD_LENGTH = 44;

/** What one anchor commits to: a block of the chain whose chain id starts with `chainPrefix`. */
export interface AnchorPayload {
  /** The first 4 bytes of the chain id (the genesis hash). */
  chainPrefix: Uint8Array;
  height: number;
  blockHash: Uint8Array;
}

/** `SBX1 ‖ chainId[0..4] ‖ height u32 BE ‖ blockHash`: the data of an anchor's OP_RETURN output. */
export function encodeAnchorPayload(chainId: Uint8Array, height: number, blockHash: Uint8Array): Uint8Array {
  if (chainId.length !== 32 || blockHash.length !== 32) throw new TypeError('an anchor names a 32-byte chain id and a 32-byte block hash');
  return new Writer().bytes(ANCHOR_MAGIC).bytes(chainId.subarray(0, 4)).u32(height).bytes(blockHash).finish();
}

export function decodeAnchorPayload(data: Uint8Array): AnchorPayload {
  if (data.length !== ANCHOR_PAYLOAD_LENGTH) throw new ValidationError('bad-anchor', `an anchor payload is ${ANCHOR_PAYLOAD_LENGTH} bytes, got ${data.length}`);
  const reader = new Reader(data, 'anchor payload');
  if (!sameBytes(reader.bytes(4, 'magic'), ANCHOR_MAGIC)) throw new ValidationError('bad-anchor', 'the OP_RETURN does not start with SBX1');
  const payload = { chainPrefix: reader.bytes(4, 'chain prefix'), height: reader.u32('height'), blockHash: reader.bytes(32, 'block hash') };
  reader.end();
  return payload;
}

/** The output script carrying a payload: OP_RETURN and one direct push of the 44 bytes. */
export function anchorScript(payload: Uint8Array): Uint8Array {
  return Uint8Array.from([opcodes.OP_RETURN, payload.length, ...payload]);
}

/**
 * The payload of the one OP_RETURN output of an anchor transaction. An anchor has exactly one
 * OP_RETURN output (Bitcoin relays only one per transaction anyway), holding exactly the
 * canonical push of 44 bytes; anything else is not an anchor.
 */
export function anchorPayloadOf(tx: Transaction): AnchorPayload {
  const nullData = tx.outs.filter((out) => out.script[0] === opcodes.OP_RETURN);
  if (nullData.length !== 1) throw new ValidationError('bad-anchor', `an anchor transaction has one OP_RETURN output, ${tx.getId()} has ${nullData.length}`);
  const script = nullData[0]!.script;
  if (script.length !== 2 + ANCHOR_PAYLOAD_LENGTH || script[1] !== ANCHOR_PAYLOAD_LENGTH) {
    throw new ValidationError('bad-anchor', `the OP_RETURN of ${tx.getId()} is not one push of ${ANCHOR_PAYLOAD_LENGTH} bytes`);
  }
  return decodeAnchorPayload(script.subarray(2));
}
