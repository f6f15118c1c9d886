import { taggedHash } from '../hash.ts';
import { encodeOutpoint, encodeOutput, encodeUnsigned } from './codec.ts';
import { TransactionError } from './errors.ts';
import { Writer } from '../encoding/index.ts';
import { sameBytes } from '../bytes.ts';
import { txInfo } from './ids.ts';
import { SighashType, TX_VERSION, TxKind, type Transaction, type TxBody } from './types.ts';

/** The ALL type byte, made once: every transaction admitted hashes it into its message. */
const ALL_TYPE = Uint8Array.of(SighashType.all);

/**
 * The 32-byte message an input's witness signs. The chain id is bound in so a signature never
 * replays onto another Strongbox chain (issuances and registry updates spend no outpoint that
 * would otherwise tie them to one chain).
 *
 * ALL (0x01): chainId ‖ 0x01 ‖ unsigned transaction. The same for every input, so callers that
 * check many inputs compute it once and pass `unsigned` to skip re-encoding.
 * SINGLE|ANYONECANPAY (0x83), transfers only: chainId ‖ 0x83 ‖ version ‖ kind ‖ this input's
 * outpoint ‖ the output at the same index. A party signs "I give this coin for that output" and
 * anyone may add further inputs and outputs: the partial offer of delivery versus payment.
 * SINGLE|ANYONECANPAY|EXPIRY (0xc3): the same with the expiry height (u32) after the kind, so the
 * offer's deadline is signed too and nobody can extend it.
 */
export function sighashMessage(
  chainId: Uint8Array,
  body: TxBody,
  inputIndex: number,
  type: number,
  unsigned?: Uint8Array,
  expiryHeight?: number,
): Uint8Array {
  if (type === SighashType.all) return taggedHash('Strongbox/sighash', chainId, ALL_TYPE, unsigned ?? encodeUnsigned(body));
  const expiring = type === SighashType.singleAnyoneCanPayExpiry;
  if (type !== SighashType.singleAnyoneCanPay && !expiring) throw new TransactionError('sighash-type', `unknown sighash type 0x${type.toString(16)}`);
  if (body.kind !== 'transfer') throw new TransactionError('sighash-type', `SINGLE|ANYONECANPAY is only allowed in transfers, not ${body.kind}`);
  if (expiring !== (expiryHeight !== undefined)) {
    throw new TransactionError('sighash-type', `sighash 0x${type.toString(16)} ${expiring ? 'needs' : 'takes no'} expiry height`);
  }
  const input = body.inputs[inputIndex];
  const output = body.outputs[inputIndex];
  if (!input || !output) {
    throw new TransactionError('sighash-type', `SINGLE|ANYONECANPAY input ${inputIndex} has no output at the same index`);
  }
  return taggedHash(
    'Strongbox/sighash',
    chainId,
    Uint8Array.of(type, TX_VERSION, TxKind.transfer),
    expiryHeight === undefined ? new Uint8Array(0) : new Writer().u32(expiryHeight).finish(),
    encodeOutpoint(input),
    encodeOutput(output),
  );
}

/**
 * The ALL message of a transaction, kept with its ids: a member catching up hashes it to verify
 * the block's signatures ahead, and its ledger needs it again to execute the block. A transaction
 * object is never changed once made (its ids are cached the same way), so the message of the same
 * object and chain is the same bytes.
 */
function allMessage(chainId: Uint8Array, tx: Transaction): Uint8Array {
  const info = txInfo(tx);
  const known = info.allMessage;
  if (known !== undefined && sameBytes(known.chainId, chainId)) return known.message;
  const message = sighashMessage(chainId, tx, 0, SighashType.all, info.unsigned);
  info.allMessage = { chainId, message };
  return message;
}

/**
 * The message each input's witness signs, by input index: inputs signing with ALL share one, so
 * it is hashed once per transaction however many inputs it has.
 */
export function inputMessages(chainId: Uint8Array, tx: Transaction): (inputIndex: number, witness: { sighash: number; expiryHeight?: number }) => Uint8Array {
  let all: Uint8Array | undefined;
  return (inputIndex, witness) =>
    witness.sighash === SighashType.all
      ? (all ??= allMessage(chainId, tx))
      : sighashMessage(chainId, tx, inputIndex, witness.sighash, txInfo(tx).unsigned, witness.expiryHeight);
}
