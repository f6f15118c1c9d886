import { Psbt, Transaction as BitcoinTransaction, type Network } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { ValidationError } from '../sidechain/errors.ts';
import type { SortedMultisig } from './escrow.ts';
import { depositMultisig, tweakMemberKey, tweakMemberPrivateKey } from './pegin-tweak.ts';

const ECPair = ECPairFactory(ecc);

/** An escrow output to spend: the recipient names the deposit tweak, none means the plain escrow. */
export interface SpendableEscrowCoin {
  txid: string;
  vout: number;
  value: bigint;
  recipient?: Uint8Array;
}

export interface Withdrawal {
  script: Uint8Array;
  amount: bigint;
}

/** Below this an output to the escrow's P2WSH is dust that Bitcoin nodes refuse to relay. */
export const ESCROW_DUST_SATS = 330n;
/** Every payment must stay above the largest standard dust limit (P2PKH's). */
export const PAYMENT_DUST_SATS = 546n;

export class PegoutBuildError extends ValidationError {}

function varintSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

/**
 * Virtual size of the fully signed transaction, counting every signature at its largest DER size
 * (72 bytes + sighash byte), so the fee never falls short of the rate.
 */
export function settlementVsize(escrow: Pick<SortedMultisig, 'threshold' | 'keys'>, inputCount: number, outputScripts: readonly Uint8Array[]): number {
  const witnessScriptBytes = 3 + 34 * escrow.keys.length;
  const witnessBytes = varintSize(escrow.threshold + 2) + 1 + escrow.threshold * 74 + varintSize(witnessScriptBytes) + witnessScriptBytes;
  const outputsBytes = outputScripts.reduce((sum, script) => sum + 8 + varintSize(script.length) + script.length, 0);
  const baseBytes = 4 + varintSize(inputCount) + inputCount * 41 + varintSize(outputScripts.length) + outputsBytes + 4;
  const weight = baseBytes * 4 + 2 + inputCount * witnessBytes;
  return Math.ceil(weight / 4);
}

export interface SettlementPlan {
  coins: SpendableEscrowCoin[];
  bitcoinTx: Uint8Array;
  txid: string;
  feeShare: bigint;
  vsize: number;
}

/**
 * The unsigned Bitcoin transaction paying a batch of withdrawals from escrow coins, oldest first:
 * output i pays withdrawal i its amount minus one equal share of the fee (rounded up), the last
 * output returns exactly Σ inputs − Σ amounts to the escrow. So the fee comes out of the
 * withdrawals and the escrow shrinks by exactly what was burned.
 */
export function planSettlement(escrow: SortedMultisig, coins: readonly SpendableEscrowCoin[], withdrawals: readonly Withdrawal[], feeRateSatPerVb: bigint): SettlementPlan {
  if (withdrawals.length === 0) throw new PegoutBuildError('no-withdrawals', 'a settlement pays at least one withdrawal');
  const owed = withdrawals.reduce((sum, w) => sum + w.amount, 0n);
  const selected: SpendableEscrowCoin[] = [];
  let total = 0n;
  for (const coin of coins) {
    if (total >= owed && (total === owed || total - owed >= ESCROW_DUST_SATS)) break;
    selected.push(coin);
    total += coin.value;
  }
  const change = total - owed;
  if (change < 0n || (change > 0n && change < ESCROW_DUST_SATS)) {
    throw new PegoutBuildError('escrow-short', `the escrow's coins (${total} sats) cannot pay ${owed} sats with change above dust`);
  }
  const scripts = [...withdrawals.map((w) => w.script), ...(change > 0n ? [escrow.scriptPubKey] : [])];
  const vsize = settlementVsize(escrow, selected.length, scripts);
  const fee = feeRateSatPerVb * BigInt(vsize);
  const count = BigInt(withdrawals.length);
  const feeShare = (fee + count - 1n) / count;
  const tx = new BitcoinTransaction();
  tx.version = 2;
  for (const coin of selected) tx.addInput(Buffer.from(coin.txid, 'hex').reverse(), coin.vout);
  for (const w of withdrawals) {
    if (w.amount - feeShare < PAYMENT_DUST_SATS) throw new PegoutBuildError('below-dust', `a withdrawal of ${w.amount} sats leaves less than ${PAYMENT_DUST_SATS} after its fee share of ${feeShare}`);
    tx.addOutput(w.script, w.amount - feeShare);
  }
  if (change > 0n) tx.addOutput(escrow.scriptPubKey, change);
  return { coins: selected, bitcoinTx: tx.toBuffer(), txid: tx.getId(), feeShare, vsize };
}

/** The multisig that locks a coin: the deposit's tweaked escrow, or the escrow itself for change. */
export function coinMultisig(escrow: SortedMultisig, coin: SpendableEscrowCoin): SortedMultisig {
  return coin.recipient ? depositMultisig(escrow, coin.recipient) : escrow;
}

/** The BIP-174 PSBT for a recorded settlement transaction, with what each signer needs per input. */
export function settlementPsbt(escrow: SortedMultisig, network: Network, bitcoinTx: Uint8Array, coins: readonly SpendableEscrowCoin[]): Psbt {
  const tx = BitcoinTransaction.fromBuffer(Buffer.from(bitcoinTx));
  if (coins.length !== tx.ins.length) throw new PegoutBuildError('bad-settlement', `${tx.ins.length} inputs but ${coins.length} coins`);
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

/** This member's key for a coin: its peg key, tweaked for a deposit's recipient. */
export function memberCoinKey(pegPublicKey: Uint8Array, coin: SpendableEscrowCoin): Uint8Array {
  return coin.recipient ? tweakMemberKey(pegPublicKey, coin.recipient) : pegPublicKey;
}

/** Signs every input with this member's (tweaked) peg key, SIGHASH_ALL. */
export function signSettlementPsbt(psbt: Psbt, coins: readonly SpendableEscrowCoin[], pegPrivateKey: Uint8Array): void {
  coins.forEach((coin, index) => {
    const key = coin.recipient ? tweakMemberPrivateKey(pegPrivateKey, coin.recipient) : pegPrivateKey;
    psbt.signInput(index, ECPair.fromPrivateKey(key), [BitcoinTransaction.SIGHASH_ALL]);
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
