/**
 * The books a fault or an attack must never break, judged from facts gathered after the run
 * (see invariant-facts.ts). Pure: the same facts give the same verdict, so a failure can be
 * re-judged from the facts it prints.
 *
 * Two lists come back. `safety` holds what can never be repaired by waiting: a fork, a second
 * mint of one outpoint, a burn paid twice, an escrow spend nobody recorded, reserves below the
 * supply, a sidechain coin spent twice, an anchor that does not match the chain. `pending` holds what a live federation still owes: a member behind, a confirmed deposit
 * not minted yet, a final burn not yet paid in a confirmed Bitcoin transaction, an anchor not yet
 * confirmed.
 */

export interface BitcoinTxFact {
  txid: string;
  /** 0 while in the mempool. */
  confirmations: number;
  /** Spent outpoints, `txid:vout`. */
  inputs: string[];
  outputs: { script: string; value: bigint }[];
}

export interface InvariantFacts {
  /** Per member, the hash (hex) of every final block by height, from height 1. */
  chains: string[][];
  /** Per member, a digest of its stored unspent outputs, read in the same snapshot as its chain. */
  unspent: string[];
  mints: { outpoint: string; amount: bigint }[];
  burns: { txid: string; destinationScript: string; amount: bigint }[];
  /** Settlement records; `change` is the escrow change output's value when there is one. */
  settlements: { bitcoinTxid: string; burns: string[]; change: bigint | null }[];
  /** Scripts (hex) of every registered deposit address. */
  depositScripts: string[];
  /** Every Bitcoin transaction in the node's blocks since segwit, and in its mempool. */
  bitcoinTxs: BitcoinTxFact[];
  /** Sidechain outpoints (`txid:index`) each final transaction spends, by transaction: transfers (DvP swaps among them), burns, dividends. */
  spends: { txid: string; inputs: string[] }[];
  /** Anchor records: the Bitcoin transaction each names and the height and block hash it anchors. */
  anchors: { bitcoinTxid: string; height: number; blockHash: string }[];
  /**
   * The Bitcoin transactions named by settlement and anchor records stored above the chains'
   * snapshot: final, but after the chains were read, so they count only as the record a Bitcoin
   * transaction must have. A settlement is signed and an anchor recorded before anything reaches
   * Bitcoin, and the records are read after Bitcoin, so a transaction seen there has its record here.
   */
  recordedLater: { settlements: string[]; anchors: string[] };
  /** The first 4 bytes of the genesis hash (hex), as anchors carry them after `SBX1`. */
  chainPrefix: string;
  pegin: { confirmations: number; minimumSats: bigint; feeSats: bigint };
}

export interface Verdict {
  safety: string[];
  pending: string[];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

export function checkInvariants(facts: InvariantFacts): Verdict {
  const verdict: Verdict = { safety: [], pending: [] };
  checkChains(facts, verdict);
  checkMints(facts, verdict);
  checkPayments(facts, verdict);
  checkReserves(facts, verdict);
  checkSpends(facts, verdict);
  checkAnchors(facts, verdict);
  return verdict;
}

/**
 * All members hold the same block at every height; a shorter chain is only behind. Members at
 * the same height hold the same unspent outputs: the same blocks applied differently would be a
 * ledger that diverged without a fork, which every balance it serves would show.
 */
function checkChains({ chains, unspent }: InvariantFacts, verdict: Verdict): void {
  const longest = chains.reduce((a, b) => (b.length > a.length ? b : a), []);
  const firstAtHeight = new Map<number, number>();
  chains.forEach((chain, member) => {
    const fork = chain.findIndex((hash, index) => hash !== longest[index]);
    if (fork >= 0) {
      verdict.safety.push(`member ${member} has block ${chain[fork]} at height ${fork + 1}, another member ${longest[fork]}`);
      return;
    }
    if (chain.length < longest.length) verdict.pending.push(`member ${member} is at height ${chain.length}, another at ${longest.length}`);
    const first = firstAtHeight.get(chain.length);
    if (first === undefined) firstAtHeight.set(chain.length, member);
    else if (unspent[member] !== unspent[first]) verdict.safety.push(`member ${member} holds other unspent outputs than member ${first} at the same height ${chain.length}`);
  });
}

/** Outputs paying a registered deposit address, by outpoint. */
function depositOutputs(facts: InvariantFacts): Map<string, { value: bigint; confirmations: number }> {
  const scripts = new Set(facts.depositScripts);
  const deposits = new Map<string, { value: bigint; confirmations: number }>();
  for (const tx of facts.bitcoinTxs) {
    tx.outputs.forEach((output, vout) => {
      if (scripts.has(output.script)) deposits.set(`${tx.txid}:${vout}`, { value: output.value, confirmations: tx.confirmations });
    });
  }
  return deposits;
}

/** Each mint matches a deposit buried at the depth; each such deposit (not below the minimum) is minted exactly once. */
function checkMints(facts: InvariantFacts, verdict: Verdict): void {
  const { confirmations, minimumSats, feeSats } = facts.pegin;
  const deposits = depositOutputs(facts);
  const minted = countBy(facts.mints, (mint) => mint.outpoint);
  for (const [outpoint, count] of minted) if (count > 1) verdict.safety.push(`deposit ${outpoint} minted ${count} times`);
  for (const mint of facts.mints) {
    const deposit = deposits.get(mint.outpoint);
    if (!deposit) verdict.safety.push(`mint of ${mint.outpoint}: no such deposit on Bitcoin`);
    else if (deposit.confirmations < confirmations) verdict.safety.push(`mint of ${mint.outpoint}: the deposit has ${deposit.confirmations} confirmations, ${confirmations} required`);
    else if (mint.amount !== deposit.value - feeSats) verdict.safety.push(`mint of ${mint.outpoint}: ${mint.amount} minted for a deposit of ${deposit.value}`);
  }
  for (const [outpoint, deposit] of deposits) {
    const mintable = deposit.confirmations >= confirmations && deposit.value >= minimumSats && deposit.value > feeSats;
    if (mintable && !minted.has(outpoint)) verdict.pending.push(`confirmed deposit ${outpoint} not minted`);
  }
}

/** Escrow outpoints as the chain defines them: minted deposits and settlement change. */
function escrowOutpoints(facts: InvariantFacts): Map<string, bigint> {
  const deposits = depositOutputs(facts);
  const escrow = new Map<string, bigint>();
  for (const mint of facts.mints) escrow.set(mint.outpoint, deposits.get(mint.outpoint)?.value ?? mint.amount + facts.pegin.feeSats);
  for (const settlement of facts.settlements) {
    if (settlement.change !== null) escrow.set(`${settlement.bitcoinTxid}:${settlement.burns.length}`, settlement.change);
  }
  return escrow;
}

/**
 * Every Bitcoin transaction that spends escrow is a recorded settlement; every burn is in exactly
 * one settlement; no destination receives more escrow payments than burns name it.
 */
function checkPayments(facts: InvariantFacts, verdict: Verdict): void {
  const escrow = escrowOutpoints(facts);
  const recorded = new Set([...facts.settlements.map((settlement) => settlement.bitcoinTxid), ...facts.recordedLater.settlements]);
  const spends = facts.bitcoinTxs.filter((tx) => tx.inputs.some((input) => escrow.has(input)));
  for (const tx of spends) if (!recorded.has(tx.txid)) verdict.safety.push(`Bitcoin transaction ${tx.txid} spends escrow without a settlement record`);

  const settledIn = countBy(facts.settlements.flatMap((settlement) => settlement.burns), (burn) => burn);
  const confirmedTxids = new Set(facts.bitcoinTxs.filter((tx) => tx.confirmations > 0).map((tx) => tx.txid));
  for (const burn of facts.burns) {
    const count = settledIn.get(burn.txid) ?? 0;
    if (count > 1) verdict.safety.push(`burn ${burn.txid} is in ${count} settlements`);
    if (count === 0) verdict.pending.push(`final burn ${burn.txid} not settled`);
  }
  for (const settlement of facts.settlements) {
    if (!confirmedTxids.has(settlement.bitcoinTxid)) verdict.pending.push(`settlement ${settlement.bitcoinTxid} not confirmed on Bitcoin`);
  }

  const owed = countBy(facts.burns, (burn) => burn.destinationScript);
  const paid = countBy(
    spends.flatMap((tx) => tx.outputs.map((output) => output.script)),
    (script) => script,
  );
  for (const [script, count] of owed) {
    if ((paid.get(script) ?? 0) > count) verdict.safety.push(`destination ${script} paid ${paid.get(script)} times from escrow for ${count} burn(s)`);
  }
}

/** Escrow outputs unspent in Bitcoin's blocks hold at least the pegged supply (minted − burned). */
function checkReserves(facts: InvariantFacts, verdict: Verdict): void {
  const escrow = escrowOutpoints(facts);
  const spentOnChain = new Set(facts.bitcoinTxs.filter((tx) => tx.confirmations > 0).flatMap((tx) => tx.inputs));
  const confirmed = new Set(facts.bitcoinTxs.filter((tx) => tx.confirmations > 0).map((tx) => tx.txid));
  let reserves = 0n;
  for (const [outpoint, value] of escrow) if (confirmed.has(outpoint.split(':')[0]!) && !spentOnChain.has(outpoint)) reserves += value;
  const supply = facts.mints.reduce((sum, mint) => sum + mint.amount, 0n) - facts.burns.reduce((sum, burn) => sum + burn.amount, 0n);
  if (reserves < supply) verdict.safety.push(`escrow holds ${reserves} sats on Bitcoin, the pegged supply is ${supply}`);
}

/** No sidechain output is spent by two final transactions: an offer taken is taken once, a coin paid once. */
function checkSpends({ spends }: InvariantFacts, verdict: Verdict): void {
  const spenders = new Map<string, string[]>();
  for (const { txid, inputs } of spends) for (const input of inputs) spenders.set(input, [...(spenders.get(input) ?? []), txid]);
  for (const [outpoint, txids] of spenders) if (txids.length > 1) verdict.safety.push(`sidechain output ${outpoint} spent by ${txids.length} final transactions: ${txids.join(', ')}`);
}

/** `OP_RETURN` with one 44-byte push: `SBX1`, the chain prefix, the height (u32 BE) and the block hash. */
const ANCHOR_SCRIPT_PREFIX = `6a2c${Buffer.from('SBX1', 'ascii').toString('hex')}`;

function anchorPayload(script: string, chainPrefix: string): { height: number; blockHash: string } | undefined {
  if (script.length !== 2 * 46 || !script.startsWith(ANCHOR_SCRIPT_PREFIX + chainPrefix)) return undefined;
  const rest = script.slice(ANCHOR_SCRIPT_PREFIX.length + chainPrefix.length);
  return { height: Number.parseInt(rest.slice(0, 8), 16), blockHash: rest.slice(8) };
}

/**
 * Every anchor record names one Bitcoin transaction, which carries exactly the anchor of the
 * record's height and hash, and that hash is the chain's block at that height; no Bitcoin
 * transaction anchors this chain without a record; every recorded anchor confirms.
 */
function checkAnchors(facts: InvariantFacts, verdict: Verdict): void {
  const longest = facts.chains.reduce((a, b) => (b.length > a.length ? b : a), []);
  const recorded = countBy(facts.anchors, (anchor) => anchor.bitcoinTxid);
  for (const [txid, count] of recorded) if (count > 1) verdict.safety.push(`anchor transaction ${txid} recorded ${count} times`);
  const byTxid = new Map(facts.bitcoinTxs.map((tx) => [tx.txid, tx]));
  for (const anchor of facts.anchors) {
    if (longest[anchor.height - 1] !== anchor.blockHash) verdict.safety.push(`anchor ${anchor.bitcoinTxid} names block ${anchor.blockHash} at height ${anchor.height}, the chain has ${longest[anchor.height - 1]}`);
    const tx = byTxid.get(anchor.bitcoinTxid);
    if (!tx) {
      verdict.pending.push(`anchor ${anchor.bitcoinTxid} not on Bitcoin`);
      continue;
    }
    const payloads = tx.outputs.flatMap((output) => anchorPayload(output.script, facts.chainPrefix) ?? []);
    if (payloads.length !== 1 || payloads[0]!.height !== anchor.height || payloads[0]!.blockHash !== anchor.blockHash) {
      verdict.safety.push(`anchor ${anchor.bitcoinTxid} carries ${JSON.stringify(payloads)} on Bitcoin, its record height ${anchor.height} and block ${anchor.blockHash}`);
    }
    if (tx.confirmations === 0) verdict.pending.push(`anchor ${anchor.bitcoinTxid} not confirmed on Bitcoin`);
  }
  for (const tx of facts.bitcoinTxs) {
    const hasRecord = recorded.has(tx.txid) || facts.recordedLater.anchors.includes(tx.txid);
    if (!hasRecord && tx.outputs.some((output) => anchorPayload(output.script, facts.chainPrefix))) verdict.safety.push(`Bitcoin transaction ${tx.txid} anchors this chain without an anchor record`);
  }
}
