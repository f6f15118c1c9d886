import { Psbt, Transaction as BitcoinTransaction, type Network } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { ValidationError } from '../sidechain/errors.ts';
import type { SortedMultisig } from './escrow.ts';
import { opsWalletKey, opsWalletMultisig, opsWalletPrivateKey } from './ops-wallet.ts';
import { depositMultisig, tweakMemberKey, tweakMemberPrivateKey } from './pegin-tweak.ts';

const ECPair = ECPairFactory(ecc);

/**
 * A Bitcoin output the federation spends with k of its members' keys: escrow change (neither
 * field), a deposit (tweaked for its sidechain recipient) or an operations-wallet coin.
 */
export interface FederationCoin {
  txid: string;
  vout: number;
  value: bigint;
  recipient?: Uint8Array;
  wallet?: 'ops';
}

export class FederationTxError extends ValidationError {}

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/**
 * Virtual size of a fully signed transaction spending `inputCount` k-of-n P2WSH multisig
 * outputs, counting every signature at its largest DER size (72 bytes + sighash byte), so a fee
 * computed from it never falls short of the rate. Escrow, deposits and the ops wallet share k and n.
 */
export function multisigTxVsize(escrow: Pick<SortedMultisig, 'threshold' | 'keys'>, inputCount: number, outputScripts: readonly Uint8Array[]): number {
  const witnessScriptBytes = 3 + 34 * escrow.keys.length;
  const witnessBytes = varintSize(escrow.threshold + 2) + 1 + escrow.threshold * 74 + varintSize(witnessScriptBytes) + witnessScriptBytes;
  const outputsBytes = outputScripts.reduce((sum, script) => sum + 8 + varintSize(script.length) + script.length, 0);
  const baseBytes = 4 + varintSize(inputCount) + inputCount * 41 + varintSize(outputScripts.length) + outputsBytes + 4;
  const weight = baseBytes * 4 + 2 + inputCount * witnessBytes;
  return Math.ceil(weight / 4);
}

/** The multisig that locks a coin. */
export function coinMultisig(escrow: SortedMultisig, coin: FederationCoin): SortedMultisig {
  if (coin.wallet === 'ops') return opsWalletMultisig(escrow);
  return coin.recipient ? depositMultisig(escrow, coin.recipient) : escrow;
}

/** This member's public key for a coin: its peg key, tweaked for a deposit's recipient or for the ops wallet. */
export function memberCoinKey(pegPublicKey: Uint8Array, coin: FederationCoin): Uint8Array {
  if (coin.wallet === 'ops') return opsWalletKey(pegPublicKey);
  return coin.recipient ? tweakMemberKey(pegPublicKey, coin.recipient) : pegPublicKey;
}

function memberCoinPrivateKey(pegPrivateKey: Uint8Array, coin: FederationCoin): Uint8Array {
  if (coin.wallet === 'ops') return opsWalletPrivateKey(pegPrivateKey);
  return coin.recipient ? tweakMemberPrivateKey(pegPrivateKey, coin.recipient) : pegPrivateKey;
}

/** The BIP-174 PSBT for a recorded transaction, with what each signer needs per input. */
export function federationPsbt(escrow: SortedMultisig, network: Network, bitcoinTx: Uint8Array, coins: readonly FederationCoin[]): Psbt {
  const tx = BitcoinTransaction.fromBuffer(Buffer.from(bitcoinTx));
  if (coins.length !== tx.ins.length) throw new FederationTxError('bad-federation-tx', `${tx.ins.length} inputs but ${coins.length} coins`);
  const psbt = new Psbt({ network });
  psbt.setVersion(tx.version);
  psbt.setLocktime(tx.locktime);
  tx.ins.forEach((input, index) => {
    const coin = coins[index]!;
    const multisig = coinMultisig(escrow, coin);
    psbt.addInput({ hash: input.hash, index: input.index, sequence: input.sequence, witnessUtxo: { script: multisig.scriptPubKey, value: coin.value }, witnessScript: multisig.witnessScript });
  });
  for (const output of tx.outs) psbt.addOutput({ script: output.script, value: output.value });
  return psbt;
}

/** Signs every input with this member's key for its coin, SIGHASH_ALL. */
export function signFederationPsbt(psbt: Psbt, coins: readonly FederationCoin[], pegPrivateKey: Uint8Array): void {
  coins.forEach((coin, index) => {
    psbt.signInput(index, ECPair.fromPrivateKey(memberCoinPrivateKey(pegPrivateKey, coin)), [BitcoinTransaction.SIGHASH_ALL]);
  });
}

/** A partial signature verifies for `publicKey` over input `index` of the PSBT. */
export function verifyPartialSignature(psbt: Psbt, index: number, publicKey: Uint8Array): boolean {
  try {
    return psbt.validateSignaturesOfInput(index, (pubkey, hash, signature) => ecc.verify(hash, pubkey, signature), publicKey);
  } catch {
    return false;
  }
}

/** An unsigned version-2 transaction spending `coins` into `outputs`, never signalling replacement (see DECISIONS.md). */
export function unsignedTx(coins: readonly Pick<FederationCoin, 'txid' | 'vout'>[], outputs: readonly { script: Uint8Array; value: bigint }[]): BitcoinTransaction {
  const tx = new BitcoinTransaction();
  tx.version = 2;
  for (const coin of coins) tx.addInput(Buffer.from(coin.txid, 'hex').reverse(), coin.vout);
  for (const output of outputs) tx.addOutput(output.script, output.value);
  return tx;
}
