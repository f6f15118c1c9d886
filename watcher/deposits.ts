import type { Block } from 'bitcoinjs-lib';
import { ValidationError } from '../sidechain/errors.ts';

/** Registered deposit scripts: scriptPubKey hex → the recipient R it was derived for. */
export type WatchedScripts = ReadonlyMap<string, Uint8Array>;

/** A Bitcoin output paying a registered deposit script. Hex strings so it serialises as JSON. */
export interface Deposit {
  txid: string;
  vout: number;
  amountSats: bigint;
  /** R, hex: the sidechain recipient the deposit address was derived for. */
  recipient: string;
  scriptPubKey: string;
  blockHash: string;
  height: number;
}

/** Every output in the block that pays a watched script, in block order; other outputs are ignored. */
export function findDeposits(block: Block, height: number, watched: WatchedScripts): Deposit[] {
  if (!block.transactions) throw new ValidationError('bad-block', 'block has no transactions (header only?)');
  const blockHash = block.getId();
  const deposits: Deposit[] = [];
  for (const tx of block.transactions) {
    let txid: string | undefined;
    tx.outs.forEach((out, vout) => {
      const scriptPubKey = Buffer.from(out.script).toString('hex');
      const recipient = watched.get(scriptPubKey);
      if (!recipient) return;
      txid ??= tx.getId();
      deposits.push({
        txid,
        vout,
        amountSats: out.value,
        recipient: Buffer.from(recipient).toString('hex'),
        scriptPubKey,
        blockHash,
        height,
      });
    });
  }
  return deposits;
}
