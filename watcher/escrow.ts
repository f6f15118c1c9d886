import { address as btcAddress, opcodes, payments, script as btcScript, type Network } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ValidationError } from '../sidechain/errors.ts';
import { addDescriptorChecksum, stripDescriptorChecksum } from './descriptor-checksum.ts';

/** BIP-383: inside wsh() a multisig holds at most 20 keys (the CHECKMULTISIG limit). */
export const MAX_MULTISIG_KEYS = 20;

/**
 * A P2WSH `sortedmulti(k, …)` output: the federation escrow, or a deposit address built from
 * tweaked member keys. Keys are held sorted, as they appear in the witness script.
 */
export interface SortedMultisig {
  readonly threshold: number;
  readonly keys: readonly Uint8Array[];
  readonly witnessScript: Uint8Array;
  readonly scriptPubKey: Uint8Array;
  /** `wsh(sortedmulti(k,KEY_1,…,KEY_n))#checksum`, keys in sorted order so every member publishes the same string. */
  readonly descriptor: string;
  address(network: Network): string;
}

export function sortedMultisig(threshold: number, keys: readonly Uint8Array[]): SortedMultisig {
  if (keys.length < 1 || keys.length > MAX_MULTISIG_KEYS) {
    throw new ValidationError('bad-escrow', `a multisig needs 1 to ${MAX_MULTISIG_KEYS} keys, got ${keys.length}`);
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
    throw new ValidationError('bad-escrow', `threshold must be an integer from 1 to ${keys.length}, got ${threshold}`);
  }
  keys.forEach((key, i) => {
    if (!ecc.isPointCompressed(key)) throw new ValidationError('bad-escrow', `key ${i} is not a 33-byte compressed secp256k1 point`);
  });
  const sorted = [...keys].sort(compareBytes);
  for (let i = 1; i < sorted.length; i++) {
    // A repeated key lets one member count twice towards the threshold.
    if (compareBytes(sorted[i - 1]!, sorted[i]!) === 0) throw new ValidationError('bad-escrow', `key ${hex(sorted[i]!)} appears twice`);
  }
  // compile() turns 1..16 into OP_1..OP_16 and pushes 17..20 as script numbers (BIP-383).
  const witnessScript = btcScript.compile([
    btcScript.number.encode(threshold),
    ...sorted,
    btcScript.number.encode(sorted.length),
    opcodes.OP_CHECKMULTISIG,
  ]);
  const { output } = payments.p2wsh({ redeem: { output: witnessScript } });
  if (!output) throw new Error('p2wsh produced no output script');
  const descriptor = addDescriptorChecksum(`wsh(sortedmulti(${threshold},${sorted.map(hex).join(',')}))`);
  return {
    threshold,
    keys: sorted,
    witnessScript,
    scriptPubKey: output,
    descriptor,
    address: (network) => btcAddress.fromOutputScript(output, network),
  };
}

/** Reads a `wsh(sortedmulti(k,<hex keys>))` descriptor, checking its checksum when it has one. */
export function parseEscrowDescriptor(descriptor: string): SortedMultisig {
  const body = stripDescriptorChecksum(descriptor.trim());
  const match = /^wsh\(sortedmulti\((\d{1,2}),([0-9a-fA-F,]+)\)\)$/.exec(body);
  if (!match) throw new ValidationError('bad-descriptor', 'expected wsh(sortedmulti(k,KEY,…)) with hex public keys');
  const keys = match[2]!.split(',').map((key) => {
    if (!/^[0-9a-fA-F]{66}$/.test(key)) throw new ValidationError('bad-descriptor', `not a 33-byte hex public key: ${key}`);
    return Uint8Array.from(Buffer.from(key, 'hex'));
  });
  return sortedMultisig(Number(match[1]), keys);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
