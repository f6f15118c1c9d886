import type { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { sameBytes } from '../../sidechain/bytes.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { BurnRecord, UnpaidBurns } from '../../sidechain/ledger/index.ts';
import { anchorPayloadOf } from '../../watcher/anchor-payload.ts';
import { plural } from '../words.ts';

/**
 * What the audit requires of the Bitcoin transactions the chain names, as pure functions of the
 * transactions themselves: the Bitcoin edge fetches them, these judge them. Each throws a
 * ValidationError saying what is wrong, but for the reserves, whose shortfall is a value: a
 * member reports it on /reserves where the audit fails.
 */

/** The anchor transaction's one OP_RETURN commits to this chain, `height` and `blockHash`. */
export function checkAnchorTransaction(tx: BitcoinTransaction, expected: { chainId: Uint8Array; height: number; blockHash: Uint8Array }): void {
  const payload = anchorPayloadOf(tx);
  if (!sameBytes(payload.chainPrefix, expected.chainId.subarray(0, 4))) {
    throw new ValidationError('bad-anchor', `Bitcoin transaction ${tx.getId()} anchors another chain (${Buffer.from(payload.chainPrefix).toString('hex')}…)`);
  }
  if (payload.height !== expected.height) throw new ValidationError('bad-anchor', `Bitcoin transaction ${tx.getId()} anchors height ${payload.height}, not ${expected.height}`);
  if (!sameBytes(payload.blockHash, expected.blockHash)) {
    throw new ValidationError(
      'bad-anchor',
      `Bitcoin transaction ${tx.getId()} anchors block hash ${Buffer.from(payload.blockHash).toString('hex')} at height ${payload.height}, the served chain has ${Buffer.from(expected.blockHash).toString('hex')}`,
    );
  }
}

/**
 * Every burn a settlement names is paid by its own output of the Bitcoin transaction: to the
 * burn's destination script, at least one satoshi and at most the amount burned (the Bitcoin fee
 * comes out of the withdrawal, never out of the reserves). Its other outputs return change to the
 * escrow: an output to anyone else would take part of the burns' fee shares, which the escrow
 * outflow check counts as fee, so the burns' users would pay someone other than the miner. A fee
 * bump settles no burn; its output beside the escrow's is the operations wallet's change, paid by
 * the wallet's own coin, and the outflow check keeps the escrow's coin whole. Returns the outputs
 * that pay `escrowScript`: the change that stays in reserve.
 */
export function checkSettlementTransaction(tx: BitcoinTransaction, burns: readonly BurnRecord[], escrowScript: Uint8Array): { vout: number; value: bigint }[] {
  const used = new Set<number>();
  // Smallest burns first: a larger burn to the same script accepts every output a smaller one
  // does, so this order never leaves a burn without an output that another assignment would give it.
  for (const burn of [...burns].sort((a, b) => (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0))) {
    const vout = tx.outs.findIndex(
      (out, index) => !used.has(index) && sameBytes(out.script, burn.destinationScript) && out.value > 0n && out.value <= burn.amount,
    );
    if (vout < 0) {
      throw new ValidationError('bad-settlement', `Bitcoin transaction ${tx.getId()} has no output paying burn ${burn.txid} (${burn.amount} sats to ${Buffer.from(burn.destinationScript).toString('hex')})`);
    }
    used.add(vout);
  }
  const other = burns.length === 0 ? -1 : tx.outs.findIndex((out, index) => !used.has(index) && !sameBytes(out.script, escrowScript));
  if (other >= 0) {
    const out = tx.outs[other]!;
    throw new ValidationError(
      'bad-settlement',
      `Bitcoin transaction ${tx.getId()} pays ${out.value} sats by output ${other} to ${Buffer.from(out.script).toString('hex')}, which is neither a burn it settles nor change to the escrow: a settlement's other outputs may only return change to the escrow`,
    );
  }
  return tx.outs.flatMap((out, vout) => (!used.has(vout) && sameBytes(out.script, escrowScript) ? [{ vout, value: out.value }] : []));
}

/**
 * A settlement takes out of the escrow exactly what its burns burned: the payments and the Bitcoin
 * fee both come out of the burns (their fee shares), so the escrow coins it spends, less the change
 * it returns to the escrow, are the burns' amounts. More pays a fee out of the reserves; less keeps
 * in the escrow fee shares the users paid and no miner was paid, a surplus a later settlement could
 * pay out unseen by the reserves. A fee bump settles no burn and returns its escrow coin in full.
 */
export function checkEscrowOutflow(txid: string, escrowSpentSats: bigint, changeSats: bigint, burns: readonly BurnRecord[]): void {
  const burned = burns.reduce((sum, burn) => sum + burn.amount, 0n);
  const outflow = escrowSpentSats - changeSats;
  if (outflow === burned) return;
  throw new ValidationError(
    'bad-settlement',
    `Bitcoin transaction ${txid} takes ${outflow} sats out of the escrow (spends ${escrowSpentSats}, returns ${changeSats} as change), and the burns it settles burned ${burned}: ${outflow > burned ? `${outflow - burned} sats of its fee come out of the reserves` : `${burned - outflow} sats of the burns' fee shares stay in the escrow, paying no fee`}`,
  );
}

/** An output the escrow should still hold, and what the Bitcoin node says of it. */
export interface ReserveOutput {
  outpoint: string;
  /** The value while unspent in the Bitcoin UTXO set; null when spent or never confirmed. */
  unspentSats: bigint | null;
}

/**
 * What the escrow owes: the pegged supply outstanding (minted less burned) and the final burns
 * not yet paid. A burn is no longer pegged supply, but until a settlement pays it its amount is
 * still owed out of the escrow.
 */
export interface Liabilities {
  outstandingSats: bigint;
  unpaidBurns: UnpaidBurns;
}

export interface Reserves extends Liabilities {
  escrowSats: bigint;
  unspentOutputs: number;
  spentOutputs: number;
}

/** Spent outputs named in a shortfall; the rest are counted. */
const SPENT_NAMED = 5;

/** The reserves, and the shortfall in words when they do not cover what the escrow owes. */
export interface ReservesAssessment {
  reserves: Reserves;
  shortfall: string | null;
}

/**
 * Proof of reserves: the escrow outputs still unspent on Bitcoin cover every pegged satoshi
 * outstanding and every final burn not yet paid. A shortfall names the outputs the chain holds in
 * reserve that Bitcoin has spent. One reading serves the audit, which fails on a shortfall, and a
 * member's /reserves, which reports it.
 */
export function assessReserves(outputs: readonly ReserveOutput[], liabilities: Liabilities): ReservesAssessment {
  const unspent = outputs.filter((output) => output.unspentSats !== null);
  const escrowSats = unspent.reduce((sum, output) => sum + output.unspentSats!, 0n);
  const reserves = { escrowSats, unspentOutputs: unspent.length, spentOutputs: outputs.length - unspent.length, ...liabilities };
  const { outstandingSats, unpaidBurns } = liabilities;
  const owedSats = outstandingSats + unpaidBurns.sats;
  if (escrowSats >= owedSats) return { reserves, shortfall: null };
  const spent = outputs.filter((output) => output.unspentSats === null).map((output) => output.outpoint);
  const named = spent.length > SPENT_NAMED ? `${spent.slice(0, SPENT_NAMED).join(', ')} and ${spent.length - SPENT_NAMED} more` : spent.join(', ');
  const unpaid = unpaidBurns.count > 0 ? ` and ${unpaidBurns.sats} sats are owed to ${plural(unpaidBurns.count, 'final burn')} not paid yet` : '';
  const shortfall =
    `the escrow holds ${escrowSats} sats in ${plural(reserves.unspentOutputs, 'unspent output')}, ${outstandingSats} sats of pegged bitcoin are outstanding${unpaid} (short by ${owedSats - escrowSats})` +
    (spent.length > 0 ? `; Bitcoin has spent ${spent.length === 1 ? 'the output' : `${spent.length} outputs`} the chain holds in reserve: ${named}` : '');
  return { reserves, shortfall };
}
