import type { Logger } from 'pino';
import { MemberApiError, MemberClient } from '../api/client.ts';
import { memberBlockSource, otherChainServed, type BlockSource, type ServedTip } from '../audit/block-source.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Chain } from './chain.ts';
import { SignatureWarmup, type ServedBlock } from './signature-warmup.ts';

/**
 * Blocks requested ahead of the one being applied, up to the height the peer announced: their
 * fetching, decoding and signatures run while the block below them is checked and stored. Four
 * keep the network and the thread pool busy through a store; sixteen caught up no faster and
 * kept 16,000 decoded transfers alive for the garbage collector (docs/PERFORMANCE.md).
 */
const PREFETCH = 4;

export interface CatchUpRun {
  applied: number;
  /** Why the run ended before the source's last block; absent when the source had no more. */
  stop?: { reason: 'peer-unreachable' | 'other-chain' | 'unusable-answer' | 'refused-block'; height: number; error: unknown };
}

/**
 * Fetches the final blocks this member missed from the other members' APIs, trusting none of
 * them: every block goes through the same certificate check and full execution as a block
 * decided here. Returns how many blocks were applied; a stop asked ends it after the block being
 * applied, its requests in flight aborted.
 */
export async function catchUp(chain: Chain, peers: { memberIndex: number; apiUrl: string }[], log: Logger, stopRequested?: AbortSignal): Promise<number> {
  let applied = 0;
  const order = [...peers].sort(() => Math.random() - 0.5);
  for (const peer of order) {
    if (stopRequested?.aborted) break;
    const run = await applyServedBlocks(chain, memberBlockSource(new MemberClient(peer.apiUrl, { stopRequested })));
    applied += run.applied;
    const stop = run.stop;
    if (stop?.reason === 'peer-unreachable') log.debug({ peer: peer.memberIndex, err: stop.error }, 'catch-up: peer unreachable');
    else if (stop?.reason === 'other-chain') log.warn({ peer: peer.memberIndex, apiUrl: peer.apiUrl, err: stop.error }, "catch-up: the peer's apiUrl serves another chain; check this member's config");
    else if (stop) log.warn({ peer: peer.memberIndex, height: stop.height, err: stop.error }, stop.reason === 'refused-block' ? 'catch-up: refused a block from a peer' : 'catch-up: peer sent an unusable answer');
  }
  return applied;
}

/**
 * A peer that cannot be reached, or whose own database cannot be (503 `database-unavailable`), is
 * passed over for the next one, as its own log says why; anything else it answers is unusable.
 */
const failedFetch = (error: unknown) => (error instanceof MemberApiError && (error.status === 0 || error.status === 503) ? 'peer-unreachable' : 'unusable-answer');

/**
 * Applies the blocks a source serves above the chain's tip, in order, until it has no more or
 * serves something unusable. Up to the height the source announced, PREFETCH blocks are
 * requested ahead and their signatures verified on the thread pool meanwhile; past it, one at a
 * time. Nothing fetched ahead is applied before the block below it. Consensus may append blocks
 * at the same time: a height it reached first is skipped.
 */
export async function applyServedBlocks(chain: Chain, source: BlockSource): Promise<CatchUpRun> {
  let tip: ServedTip;
  try {
    tip = await source.tip();
  } catch (error) {
    return { applied: 0, stop: { reason: failedFetch(error), height: chain.tip.height + 1, error } };
  }
  const otherChain = otherChainServed(source, tip, Buffer.from(chain.genesis.chainId).toString('hex'));
  if (otherChain !== undefined) {
    const error = new ValidationError('other-chain', otherChain);
    return { applied: 0, stop: { reason: 'other-chain', height: chain.tip.height + 1, error } };
  }
  const announced = tip.height;
  const warmup = new SignatureWarmup(chain.genesis, chain.ledger);
  const pending: { height: number; served: Promise<ServedBlock | null> }[] = [];
  let requested = chain.tip.height;
  let applied = 0;
  for (;;) {
    while (pending.length === 0 || (pending.length < PREFETCH && requested < announced)) {
      const height = ++requested;
      const served = warmup.warm(source.block(height));
      // Settled later, in order; a rejection is not unhandled while it waits its turn.
      served.catch(() => undefined);
      pending.push({ height, served });
    }
    const { height, served } = pending.shift()!;
    let block: ServedBlock | null;
    try {
      block = await served;
    } catch (error) {
      return { applied, stop: { reason: failedFetch(error), height, error } };
    }
    if (!block) return { applied };
    if (chain.tip.height < height) {
      try {
        await chain.applyFinalBlock(block.block, block.commit);
        applied += 1;
      } catch (error) {
        if (chain.tip.height < height) return { applied, stop: { reason: 'refused-block', height, error } };
      }
    }
    warmup.applied(height);
  }
}
