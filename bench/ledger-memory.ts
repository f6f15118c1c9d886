import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { applyBlock, LedgerState, type Utxo } from '../sidechain/ledger/index.ts';
import { decodeTransaction, encodeTransaction } from '../sidechain/transaction/codec.ts';
import { txId } from '../sidechain/transaction/ids.ts';
import { issuance, testWallet } from '../test/helpers/transactions.ts';
import { split } from './federation.ts';
import { figure, type Figure } from './report.ts';

/** Outputs per fan-out transaction: the most a transaction may create. */
const FAN_OUT = 1_000;

setFlagsFromString('--expose-gc');
// A context made after the flag has `gc`, so `npm run bench` needs no node option.
const collectGarbage = runInNewContext('gc') as () => void;

/** Live bytes after full collections: the heap and the array buffers outside it (the UTXO set's slabs live there). */
function liveBytes(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** An issuance split into `utxos / 1,000` coins, each split into 1,000 outputs: encoded, as a member receives them. */
function fanOutChain(chainId: Uint8Array, utxos: number): Uint8Array[] {
  const alice = testWallet();
  const coins = utxos / FAN_OUT;
  const { tx: issue, asset } = issuance(chainId, alice, BigInt(utxos));
  const first = split(chainId, alice, { txid: txId(issue), index: 0 }, asset, coins, BigInt(FAN_OUT), 0n);
  const fans = Array.from({ length: coins }, (_, index) => split(chainId, alice, { txid: txId(first), index }, asset, FAN_OUT, 1n, 0n));
  return [issue, first, ...fans].map(encodeTransaction);
}

/** Decodes and applies each transaction in a block of its own, handing every block's effects to `observe`. */
function fill(chainId: Uint8Array, chain: Uint8Array[], observe: (effects: ReturnType<typeof applyBlock>) => void): LedgerState {
  const ledger = new LedgerState();
  chain.forEach((bytes, index) => observe(applyBlock(ledger, [decodeTransaction(bytes)], { chainId, height: index + 1 })));
  return ledger;
}

/** The same outputs as the ledger is given them, in a Map of their `Utxo` objects: how the ledger held them before its UtxoSet. */
function outputMap(chainId: Uint8Array, chain: Uint8Array[]): Map<string, Utxo> {
  const map = new Map<string, Utxo>();
  fill(chainId, chain, (effects) => {
    for (const tx of effects.txs) {
      for (const { key } of tx.spent) map.delete(key);
      for (const { key, utxo } of tx.created) map.set(key, utxo);
    }
  });
  return map;
}

/**
 * Live memory per unspent output of a ledger alone, filled with `utxos` outputs decoded from
 * encoded transactions as a member applies them; the baseline, measured in the same run, holds
 * the same outputs in a Map of their objects, as the ledger did before its UtxoSet.
 */
export function ledgerMemory(options: { utxos: number }): Figure[] {
  if (options.utxos % FAN_OUT !== 0 || options.utxos / FAN_OUT > FAN_OUT) throw new TypeError(`utxos must be a multiple of ${FAN_OUT} up to ${FAN_OUT * FAN_OUT}`);
  const chainId = randomBytes(32);
  const chain = fanOutChain(chainId, options.utxos);
  const perUtxo = <T>(build: () => T, size: (held: T) => number): number => {
    const before = liveBytes();
    const held = build();
    const after = liveBytes();
    if (size(held) !== options.utxos) throw new Error(`expected ${options.utxos} outputs, held ${size(held)}`);
    return (after - before) / options.utxos;
  };
  const count = options.utxos.toLocaleString('en-US');
  const map = figure(`live memory per UTXO, ${count} outputs in a Map of objects`, perUtxo(() => outputMap(chainId, chain), (held) => held.size), 'bytes');
  const ledger = figure(`live memory per UTXO, a ledger (UtxoSet) holding ${count} outputs`, perUtxo(() => fill(chainId, chain, () => {}), (held) => held.utxos.size), 'bytes', map);
  return [map, ledger];
}
