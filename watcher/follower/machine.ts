import { ValidationError } from '../../sidechain/errors.ts';
import type { Deposit } from '../deposits.ts';

/**
 * The reorg-safe Bitcoin follower as a pure state machine, in the manner of lnd's TxNotifier:
 * events in (blocks connected at the tip, tip reports, an operator's resume), effects out. No
 * clock, no network, no storage: the adapter feeds it and persists the state it returns.
 */

export interface BlockRef {
  height: number;
  hash: string;
  prevHash: string;
}

export interface ConnectedBlock extends BlockRef {
  deposits: Deposit[];
}

interface ChainEntry extends ConnectedBlock {
  /** The block reached the confirmation depth and its deposits were reported confirmed. */
  settled: boolean;
}

export interface DeepReorg {
  /** Blocks disconnected, or null when the fork lies below every block the follower remembers. */
  depth: number | null;
  forkHeight: number | null;
  /** Deposits already reported confirmed that the reorg removed: their mints may now be unbacked. */
  revoked: Deposit[];
}

export interface FollowerState {
  /** A deposit in the tip block has 1 confirmation; it is confirmed at this many. */
  confirmations: number;
  /** Blocks remembered below the tip, at least `confirmations`, so any reorg reaching a confirmed block is seen. */
  keep: number;
  /** Ascending, consecutive heights, each linked to the previous by prevHash. */
  chain: ChainEntry[];
  /** The node's best tip as last reported; a branch ending there may shorten our chain. */
  reportedTip: { height: number; hash: string } | null;
  /** Set by a deep reorg: no deposit is reported confirmed (so nothing is minted) until an operator resumes. */
  halted: boolean;
  deepReorg: DeepReorg | null;
}

export type FollowerEvent =
  | { type: 'connect'; blocks: ConnectedBlock[] }
  | { type: 'tip'; height: number; hash: string }
  | { type: 'resume' }
  | { type: 'claim'; deposit: Deposit };

export type IgnoredReason = 'duplicate' | 'stale' | 'gap' | 'unlinked';

export type FollowerEffect =
  | { type: 'connected'; block: BlockRef; deposits: Deposit[] }
  | { type: 'disconnected'; block: BlockRef }
  | { type: 'confirmed'; deposit: Deposit; confirmations: number }
  | { type: 'unconfirmed'; deposit: Deposit }
  | ({ type: 'deepReorg' } & DeepReorg)
  | { type: 'behind'; height: number; hash: string }
  | { type: 'ignored'; reason: IgnoredReason; height: number; hash: string };

export interface Step {
  state: FollowerState;
  effects: FollowerEffect[];
}

/** Starts following above `start`, a block trusted as on the best chain; its own outputs are not scanned. */
export function initialFollowerState(start: BlockRef, options: { confirmations: number; keep?: number }): FollowerState {
  const { confirmations } = options;
  const keep = options.keep ?? confirmations + 100;
  if (!Number.isInteger(confirmations) || confirmations < 1) throw new ValidationError('bad-follower', `confirmations must be a positive integer, got ${confirmations}`);
  if (!Number.isInteger(keep) || keep < confirmations) throw new ValidationError('bad-follower', `keep must be an integer of at least confirmations (${confirmations}), got ${keep}`);
  return { confirmations, keep, chain: [{ ...refOf(start), deposits: [], settled: true }], reportedTip: null, halted: false, deepReorg: null };
}

export function followerTip(state: FollowerState): BlockRef {
  return refOf(state.chain[state.chain.length - 1]!);
}

/** Confirmations of a block at `height` on the followed chain (0 above the tip). */
export function confirmationsAt(state: FollowerState, height: number): number {
  return Math.max(0, followerTip(state).height - height + 1);
}

export function applyFollowerEvent(state: FollowerState, event: FollowerEvent): Step {
  const next = cloneState(state);
  const effects: FollowerEffect[] = [];
  if (event.type === 'tip') reportTip(next, event, effects);
  else if (event.type === 'resume') {
    next.halted = false;
    next.deepReorg = null;
    settle(next, effects);
  } else if (event.type === 'claim') claim(next, event.deposit, effects);
  else connect(next, event.blocks, effects);
  return { state: next, effects };
}

function reportTip(state: FollowerState, tip: { height: number; hash: string }, effects: FollowerEffect[]): void {
  state.reportedTip = { height: tip.height, hash: tip.hash };
  if (tip.hash === followerTip(state).hash) return;
  const { height, hash } = tip;
  if (entryAt(state, height)?.hash === hash) effects.push({ type: 'ignored', reason: 'stale', height, hash });
  else effects.push({ type: 'behind', height, hash });
}

function connect(state: FollowerState, offered: ConnectedBlock[], effects: FollowerEffect[]): void {
  // Blocks we already hold are dropped, so overlapping or repeated batches are harmless.
  const blocks = [...offered];
  while (blocks.length > 0 && entryAt(state, blocks[0]!.height)?.hash === blocks[0]!.hash) blocks.shift();
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  if (!first || !last) {
    const block = offered[offered.length - 1];
    if (block) effects.push(ignored('duplicate', block));
    return;
  }
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i]!.height !== blocks[i - 1]!.height + 1 || blocks[i]!.prevHash !== blocks[i - 1]!.hash) return void effects.push(ignored('unlinked', blocks[i]!));
  }
  const tip = followerTip(state);
  const bottom = state.chain[0]!;
  if (first.height > tip.height + 1) return void effects.push(ignored('gap', first));

  let forkHeight: number | null;
  if (first.height - 1 >= bottom.height) {
    if (entryAt(state, first.height - 1)!.hash !== first.prevHash) return void effects.push(ignored('unlinked', first));
    forkHeight = first.height - 1;
  } else if (first.height === bottom.height && first.prevHash === bottom.prevHash) {
    forkHeight = first.height - 1;
  } else {
    forkHeight = null;
  }

  if (forkHeight !== tip.height) {
    // A branch that does not overtake our tip replaces it only when the node says it is its best
    // chain; otherwise it is a late notice of an orphaned block.
    const reported = state.reportedTip;
    const best = last.height > tip.height || (reported !== null && reported.hash === last.hash && reported.height === last.height);
    if (!best) return void effects.push(ignored('stale', last));
    disconnectAbove(state, forkHeight, effects);
  }
  for (const block of blocks) {
    state.chain.push({ ...refOf(block), deposits: block.deposits, settled: false });
    effects.push({ type: 'connected', block: refOf(block), deposits: block.deposits });
    settle(state, effects);
  }
}

/**
 * A deposit a claim found in a block already read, before its address was watched: it joins that
 * block's deposits, so it is confirmed at the depth (at once if the block has it) and revoked by
 * a reorg, as one found when the block was read. Its `height` is the node's, and matters only for
 * a block below every one remembered: that block is deeper than the depth, so the deposit is
 * confirmed at once. A block not remembered above that (not read yet, or on a branch this chain
 * does not hold) is left to be read, which finds the deposit. A deposit held already, or any
 * while halted, changes nothing.
 */
function claim(state: FollowerState, deposit: Deposit, effects: FollowerEffect[]): void {
  if (state.halted) return;
  const entry = state.chain.find((block) => block.hash === deposit.blockHash);
  if (!entry) {
    if (deposit.height < state.chain[0]!.height) effects.push({ type: 'confirmed', deposit, confirmations: confirmationsAt(state, deposit.height) });
    return;
  }
  if (entry.deposits.some((held) => held.txid === deposit.txid && held.vout === deposit.vout)) return;
  const joined = { ...deposit, height: entry.height };
  entry.deposits = [...entry.deposits, joined];
  if (entry.settled) effects.push({ type: 'confirmed', deposit: joined, confirmations: confirmationsAt(state, entry.height) });
}

function disconnectAbove(state: FollowerState, forkHeight: number | null, effects: FollowerEffect[]): void {
  const keepCount = forkHeight === null ? 0 : forkHeight - state.chain[0]!.height + 1;
  const removed = state.chain.splice(keepCount).reverse();
  const depth = forkHeight === null ? null : removed.length;
  // Removing a block with `confirmations` confirmations undoes what was treated as final.
  if (depth === null || depth >= state.confirmations) {
    const reorg: DeepReorg = { depth, forkHeight, revoked: removed.filter((e) => e.settled).flatMap((e) => e.deposits) };
    state.halted = true;
    state.deepReorg = reorg;
    effects.push({ type: 'deepReorg', ...reorg });
  }
  for (const entry of removed) {
    effects.push({ type: 'disconnected', block: refOf(entry) });
    if (!entry.settled) for (const deposit of entry.deposits) effects.push({ type: 'unconfirmed', deposit });
  }
}

/** Reports deposits of every block that reached the depth, oldest first, unless halted; then forgets old blocks. */
function settle(state: FollowerState, effects: FollowerEffect[]): void {
  if (!state.halted) {
    for (const entry of state.chain) {
      const confirmations = confirmationsAt(state, entry.height);
      if (entry.settled || confirmations < state.confirmations) continue;
      entry.settled = true;
      for (const deposit of entry.deposits) effects.push({ type: 'confirmed', deposit, confirmations });
    }
  }
  // Unsettled blocks stay however old they get, so a halt never drops a deposit unreported.
  while (state.chain.length > state.keep && state.chain[0]!.settled) state.chain.shift();
}

function entryAt(state: FollowerState, height: number): ChainEntry | undefined {
  return state.chain[height - state.chain[0]!.height];
}

function refOf(block: BlockRef): BlockRef {
  return { height: block.height, hash: block.hash, prevHash: block.prevHash };
}

function ignored(reason: IgnoredReason, block: { height: number; hash: string }): FollowerEffect {
  return { type: 'ignored', reason, height: block.height, hash: block.hash };
}

function cloneState(state: FollowerState): FollowerState {
  return {
    ...state,
    chain: state.chain.map((entry) => ({ ...entry })),
    reportedTip: state.reportedTip && { ...state.reportedTip },
  };
}
