import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';
import type { Faucet } from '../../regtest/faucet.ts';
import type { SortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig, tweakMemberPrivateKey } from '../../watcher/pegin-tweak.ts';
import { anchorScript, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';

bitcoin.initEccLib(ecc);
const ECPair = ECPairFactory(ecc);
const network = bitcoin.networks.regtest;

export interface BitcoinCoin {
  txid: string;
  vout: number;
  value: bigint;
}

/** The output of `txid` that pays `script`; throws when there is none. */
export async function coinPaying(rpc: BitcoinRpc, txid: string, script: Uint8Array): Promise<BitcoinCoin> {
  const tx = await rpc.getRawTransaction(txid);
  const vout = tx.outs.findIndex((out) => Buffer.from(out.script).equals(Buffer.from(script)));
  if (vout < 0) throw new Error(`transaction ${txid} pays nothing to ${Buffer.from(script).toString('hex')}`);
  return { txid, vout, value: BigInt(tx.outs[vout]!.value) };
}

/** A deposit coin of the escrow and the member peg private keys that may sign for it. */
export interface EscrowCoin extends BitcoinCoin {
  /** The sidechain recipient a deposit was made for; absent for a coin of the plain escrow. */
  recipient?: Uint8Array;
}

/**
 * Spends escrow coins with the first k member peg keys (tweaked for each deposit's recipient),
 * as the federation signs a peg-out; returns the signed transaction, not yet broadcast.
 */
export function spendEscrowCoins(escrow: SortedMultisig, pegPrivateKeys: readonly Uint8Array[], coins: readonly EscrowCoin[], outputs: readonly { script: Uint8Array; value: bigint }[]): bitcoin.Transaction {
  const psbt = new bitcoin.Psbt({ network });
  for (const coin of coins) {
    const multisig = coin.recipient ? depositMultisig(escrow, coin.recipient) : escrow;
    psbt.addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: multisig.scriptPubKey, value: coin.value }, witnessScript: multisig.witnessScript });
  }
  for (const output of outputs) psbt.addOutput({ script: output.script, value: output.value });
  coins.forEach((coin, index) => {
    for (const key of pegPrivateKeys.slice(0, escrow.threshold)) {
      psbt.signInput(index, ECPair.fromPrivateKey(coin.recipient ? tweakMemberPrivateKey(key, coin.recipient) : key, { network }));
    }
  });
  psbt.finalizeAllInputs();
  return psbt.extractTransaction();
}

/**
 * Broadcasts an anchor the way the protocol lays it out (one 44-byte OP_RETURN), paid from a
 * fresh key the faucet funds; returns it (in the mempool).
 */
export async function broadcastAnchor(rpc: BitcoinRpc, faucet: Faucet, anchor: { chainId: Uint8Array; height: number; blockHash: Uint8Array }): Promise<bitcoin.Transaction> {
  const key = ECPair.makeRandom({ network });
  const payment = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(key.publicKey), network });
  const coin = await coinPaying(rpc, await faucet.fund(payment.address!, 20_000n), payment.output!);
  const psbt = new bitcoin.Psbt({ network })
    .addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: payment.output!, value: coin.value } })
    .addOutput({ script: anchorScript(encodeAnchorPayload(anchor.chainId, anchor.height, anchor.blockHash)), value: 0n })
    .addOutput({ script: payment.output!, value: coin.value - 1_000n });
  psbt.signAllInputs(key).finalizeAllInputs();
  const tx = psbt.extractTransaction();
  await rpc.sendRawTransaction(tx.toHex());
  return tx;
}

/** The transaction as a settlement record holds it: canonical bytes without witnesses (the txid does not change). */
export function unsignedBytes(tx: bitcoin.Transaction): Uint8Array {
  const unsigned = tx.clone();
  for (const input of unsigned.ins) input.witness = [];
  return new Uint8Array(unsigned.toBuffer());
}
