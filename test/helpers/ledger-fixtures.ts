import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { publicKeyFromSeed } from '../../sidechain/ed25519.ts';
import { keyOwner, ownerPayload } from '../../sidechain/address.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { Outpoint, Output, Transaction, TransferBody } from '../../sidechain/transaction/types.ts';
import { applyTransaction, LedgerState, type LedgerContext } from '../../sidechain/ledger/index.ts';

export const CHAIN_ID = new Uint8Array(32).fill(0xcb);
export const context = (height = 1): LedgerContext => ({ chainId: CHAIN_ID, height });

/** A deterministic key: seed = 32 bytes of `n`. */
export function testKey(n: number): { seed: Uint8Array; publicKey: Uint8Array; owner: Uint8Array } {
  const seed = new Uint8Array(32).fill(n);
  const publicKey = publicKeyFromSeed(seed);
  return { seed, publicKey, owner: ownerPayload(keyOwner(publicKey)) };
}

/** A distinct 32-byte Bitcoin txid per `n`: n as u32 big-endian, then zeros. */
export function bitcoinTxid(n: number): Uint8Array {
  const txid = new Uint8Array(32);
  new DataView(txid.buffer).setUint32(0, n);
  return txid;
}

/** Mints `amount` pegged sats to `owner` and returns the new output's outpoint. */
export function mint(state: LedgerState, owner: Uint8Array, amount: bigint, deposit = 1, height = 1): Outpoint {
  const tx: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(deposit), bitcoinVout: 0, amount, recipient: owner, witnesses: [] };
  applyTransaction(state, tx, context(height));
  return { txid: txInfo(tx).id, index: 0 };
}

export function btcOutput(owner: Uint8Array, amount: bigint, asset = BTC_ASSET_ID): Output {
  return { owner, asset, amount };
}

/** A transfer whose every input is owned by the single key `seed`, signed with sighash ALL. */
export function signedTransfer(inputs: Outpoint[], outputs: Output[], seed: Uint8Array): Transaction {
  const body: TransferBody = { kind: 'transfer', inputs, outputs };
  const witness = keyWitness(CHAIN_ID, body, seed);
  return { ...body, witnesses: inputs.map(() => witness) };
}

/** A settlement record of `burns` whose unsigned Bitcoin transaction spends output 0 of each of `spending` into exactly `outputs`. */
export function settlementOf(burns: Uint8Array[], outputs: { script: Uint8Array; value: bigint }[], spending: number | readonly number[] = 9): Extract<Transaction, { kind: 'settlement' }> {
  const bitcoinTx = new BitcoinTransaction();
  bitcoinTx.version = 2;
  for (const n of typeof spending === 'number' ? [spending] : spending) bitcoinTx.addInput(bitcoinTxid(n), 0);
  for (const output of outputs) bitcoinTx.addOutput(output.script, output.value);
  return { kind: 'settlement', burns, bitcoinTxid: Buffer.from(bitcoinTx.getId(), 'hex'), bitcoinTx: bitcoinTx.toBuffer(), witnesses: [] };
}
