import type { Block } from 'bitcoinjs-lib';
import { StrongboxError } from '../../sidechain/errors.ts';
import { findDeposits, type Deposit, type WatchedScripts } from '../deposits.ts';
import {
  applyFollowerEvent,
  followerTip,
  initialFollowerState,
  type BlockRef,
  type ConnectedBlock,
  type FollowerEffect,
  type FollowerEvent,
  type FollowerState,
} from './machine.ts';

/** What the follower needs of a Bitcoin node; `watcher/rpc.ts`'s BitcoinRpc provides it. */
export interface ChainSource {
  /** The best chain's tip: one cheap call that tells a follower whether it has anything to read. */
  getBestBlockHash(): Promise<string>;
  getBlockCount(): Promise<number>;
  getBlockHash(height: number): Promise<string>;
  getBlock(hash: string): Promise<Block>;
  /** The best chain's blocks at heights `from` to `to`, each with the hash it was asked by. */
  getBlocks(from: number, to: number): Promise<{ height: number; hash: string; block: Block }[]>;
}

/** Blocks asked of the source at once while catching up: a block is up to 8 MB of hex. */
const BLOCKS_PER_REQUEST = 10;

/** The node kept changing its chain while we read it, or served a block that is not the one asked for. */
export class ChainSourceError extends StrongboxError {
  constructor(message: string) {
    super('chain-source', message);
  }
}

export interface ChainFollowerOptions {
  /** The deposit scripts to look for, read afresh for every block so new registrations apply at once. */
  watched(): WatchedScripts;
  /**
   * Called after every step, before the next; persist the state and act on the effects here. If
   * it throws, the follower keeps its previous state, so a step is never half applied.
   */
  commit?(state: FollowerState, effects: FollowerEffect[]): Promise<void>;
  /** Blocks fetched per step while catching up on a plain extension of our chain. */
  batchSize?: number;
}

const MAX_ATTEMPTS = 5;

/** The block at `height` as a starting point, for a follower with no stored state. */
export async function followerStartAt(source: ChainSource, height: number, options: { confirmations: number; keep?: number }): Promise<FollowerState> {
  const hash = await source.getBlockHash(height);
  const block = await source.getBlock(hash);
  return initialFollowerState({ height, hash, prevHash: prevHashOf(block) }, options);
}

/**
 * Polls a ChainSource and feeds the follower machine. Source failures propagate out of sync()
 * with the state at the last committed step; the caller retries later and nothing is lost.
 */
export class ChainFollower {
  private current: FollowerState;
  /** The step in progress: a claim waits for a sync reading blocks without its deposit's address, or that sync's state would drop the claim. */
  private stepping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: ChainSource,
    state: FollowerState,
    private readonly options: ChainFollowerOptions,
  ) {
    this.current = state;
  }

  get state(): FollowerState {
    return this.current;
  }

  /** Operator acknowledgement of a deep reorg: confirmations flow again. */
  async resume(): Promise<FollowerEffect[]> {
    return this.exclusive(() => this.apply({ type: 'resume' }));
  }

  /** A deposit in a block already read, found by a claim once its address is watched (see the machine's claim). */
  async claim(deposit: Deposit): Promise<FollowerEffect[]> {
    return this.exclusive(() => this.apply({ type: 'claim', deposit }));
  }

  /** Catches up with the node's best chain; returns every effect produced on the way. */
  async sync(): Promise<FollowerEffect[]> {
    return this.exclusive(() => this.catchUp());
  }

  private exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.stepping.then(step);
    this.stepping = run.catch(() => undefined);
    return run;
  }

  private async catchUp(): Promise<FollowerEffect[]> {
    // A member polls every 200 ms: an unchanged tip is told by one call, where the height and its
    // hash took two, and changes nothing, so polling often costs no writes.
    if (this.followsTip(await this.source.getBestBlockHash())) return [];
    const all: FollowerEffect[] = [];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; ) {
      const height = await this.source.getBlockCount();
      const hash = await this.source.getBlockHash(height);
      // The node moved back to the tip already followed between the two looks.
      if (this.followsTip(hash)) return all;
      all.push(...(await this.apply({ type: 'tip', height, hash })));
      if (hash === followerTip(this.current).hash) return all;

      const fork = await this.findFork(height);
      const tip = followerTip(this.current);
      const from = fork === null ? this.current.chain[0]!.height : fork + 1;
      // A reorg is fed as one branch up to the node's tip, so it is applied whole or not at all.
      const to = fork !== null && fork >= tip.height ? Math.min(height, from + (this.options.batchSize ?? 500) - 1) : height;
      if (from > to) return all;
      const effects = await this.apply({ type: 'connect', blocks: await this.fetch(from, to) });
      all.push(...effects);
      // Ignored means the node moved under us between calls: look again.
      if (effects.some((effect) => effect.type === 'ignored')) attempt++;
    }
    throw new ChainSourceError(`the Bitcoin node's chain kept changing during ${MAX_ATTEMPTS} attempts to follow it`);
  }

  /** Whether `hash` is the tip this follower has read to and reported: nothing to step. */
  private followsTip(hash: string): boolean {
    return hash === followerTip(this.current).hash && hash === this.current.reportedTip?.hash;
  }

  private async apply(event: FollowerEvent): Promise<FollowerEffect[]> {
    const { state, effects } = applyFollowerEvent(this.current, event);
    await this.options.commit?.(state, effects);
    this.current = state;
    return effects;
  }

  /** Highest height where the node's chain and ours agree, or null when they share no remembered block. */
  private async findFork(nodeHeight: number): Promise<number | null> {
    const chain = this.current.chain;
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = chain[i]!;
      if (entry.height > nodeHeight) continue;
      if ((await this.source.getBlockHash(entry.height)) === entry.hash) return entry.height;
    }
    const bottom = chain[0]!;
    if (bottom.height > 0 && (await this.source.getBlockHash(bottom.height - 1)) === bottom.prevHash) return bottom.height - 1;
    return null;
  }

  private async fetch(from: number, to: number): Promise<ConnectedBlock[]> {
    const blocks: ConnectedBlock[] = [];
    for (let first = from; first <= to; first += BLOCKS_PER_REQUEST) {
      for (const { height, hash, block } of await this.source.getBlocks(first, Math.min(to, first + BLOCKS_PER_REQUEST - 1))) {
        if (block.getId() !== hash) throw new ChainSourceError(`asked for block ${hash}, received ${block.getId()}`);
        blocks.push({ ...blockRefOf(block, height), deposits: findDeposits(block, height, this.options.watched()) });
      }
    }
    return blocks;
  }
}

export function blockRefOf(block: Block, height: number): BlockRef {
  return { height, hash: block.getId(), prevHash: prevHashOf(block) };
}

function prevHashOf(block: Block): string {
  if (!block.prevHash) throw new ChainSourceError(`block ${block.getId()} has no previous-block hash`);
  return Buffer.from(block.prevHash).reverse().toString('hex');
}
