import type { Logger } from 'pino';
import { MemberApiError, MemberClient } from '../api/client.ts';
import { memberBlockSource, otherChainServed, type BlockSource, type ServedTip } from '../audit/block-source.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { errorFields } from '../observability/logger.ts';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.ts';
import { IntervalLog } from '../observability/interval-log.ts';
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
  stop?: { reason: 'peer-unreachable' | 'other-chain' | 'unusable-answer' | 'refused-block' | 'database-unavailable'; height: number; error: unknown };
}

/** A peer asked for its tip at the start of a catch-up. */
interface AskedPeer {
  peer: { memberIndex: number; apiUrl: string };
  source: BlockSource;
  tip: Promise<ServedTip>;
  /** The height it announced once it answered, -1 once its answer failed; undefined while it is silent. */
  announced?: number;
  /** Settles (never rejects) once the peer answered or failed to: what the catch-up waits on. */
  settled: Promise<void>;
}

function askTip(peer: AskedPeer['peer'], stopRequested: AbortSignal): AskedPeer {
  const source = memberBlockSource(new MemberClient(peer.apiUrl, { stopRequested }));
  const tip = source.tip();
  const asked: AskedPeer = {
    peer,
    source,
    tip,
    settled: tip.then(
      ({ height }) => void (asked.announced = height),
      () => void (asked.announced = -1),
    ),
  };
  return asked;
}

/**
 * Fetches the final blocks this member missed from the other members' APIs, trusting none of
 * them: every block goes through the same certificate check and full execution as a block
 * decided here. Every peer is asked its tip at once, and the peers are caught up from one at a
 * time as their answers come, the highest announced first, so a hung peer (one that takes the
 * connection and never answers) costs at most one request timeout, alongside the others, and
 * holds up no live peer's blocks.
 *
 * Once a peer has served its chain to the end and every peer that answered meanwhile has been
 * tried, the catch-up ends without waiting for the peers still silent, their requests aborted: a
 * peer slower to answer its tip than the others were to serve their blocks is most likely hung,
 * and a hung peer serves no blocks either; what a slow one holds beyond the others is fetched by
 * the next catch-up, which consensus starts as soon as it hears of a height ahead. Only while no
 * peer has served its chain to the end does it wait for the silent ones, as they are then all
 * that is left. Returns how many blocks were applied; a stop asked ends it after the block being
 * applied, its requests in flight aborted.
 */
export async function catchUp(chain: Chain, peers: { memberIndex: number; apiUrl: string }[], log: Logger, stopRequested?: AbortSignal): Promise<number> {
  // Aborts every request of this catch-up: at a stop asked, and at its end for the peers still silent.
  const requests = runRequests(stopRequested);
  let silent = peers.map((peer) => askTip(peer, requests.signal));
  let answered: AskedPeer[] = [];
  let applied = 0;
  let servedToEnd = false;
  try {
    while (!stopRequested?.aborted) {
      if (answered.length === 0 && !servedToEnd && silent.length > 0) await Promise.race(silent.map(({ settled }) => settled));
      answered.push(...silent.filter(({ announced }) => announced !== undefined));
      silent = silent.filter(({ announced }) => announced === undefined);
      if (answered.length === 0) {
        for (const { peer } of silent) log.debug({ peer: peer.memberIndex }, 'catch-up: peer still silent once another served its chain; not waited for');
        break;
      }
      answered.sort((a, b) => b.announced! - a.announced!);
      const { peer, source, tip } = answered.shift()!;
      const run = await applyServedBlocks(chain, source, tip);
      applied += run.applied;
      const stop = run.stop;
      if (!stop) servedToEnd = true;
      // This member's own database, not the peer: every other peer's blocks would meet it too.
      else if (stop.reason === 'database-unavailable') {
        databaseFailures(log).failed(stop.error);
        break;
      } else if (stop.reason === 'peer-unreachable') log.debug({ peer: peer.memberIndex, err: stop.error }, 'catch-up: peer unreachable');
      // A refusal of the project's own says all there is to say; anything else carries its stack.
      else if (stop.reason === 'other-chain') log.warn({ peer: peer.memberIndex, apiUrl: peer.apiUrl, ...errorFields(stop.error) }, "catch-up: the peer's apiUrl serves another chain; check this member's config");
      else log.warn({ peer: peer.memberIndex, height: stop.height, ...errorFields(stop.error) }, stop.reason === 'refused-block' ? 'catch-up: refused a block from a peer' : 'catch-up: peer sent an unusable answer');
    }
  } finally {
    requests.end();
  }
  return applied;
}

const DATABASE_FAILURE_LOG_INTERVAL_MS = 60_000;
const databaseFailureLogs = new WeakMap<Logger, IntervalLog>();

/**
 * A member's catch-ups meeting its own database out of reach, logged once a minute with their
 * count, as its other retried steps are: catch-up runs every few seconds while peers are ahead.
 */
function databaseFailures(log: Logger): IntervalLog {
  let failures = databaseFailureLogs.get(log);
  if (!failures) databaseFailureLogs.set(log, (failures = new IntervalLog(log, 'catch-up stopped: it goes on once the database is back', DATABASE_FAILURE_LOG_INTERVAL_MS)));
  return failures;
}

/**
 * Whether a catch-up has anything to fetch or to warn of: a peer announces a height above the
 * chain's tip, serves another chain, or answers its tip with something unusable. Every peer is
 * asked its tip at once, as by a catch-up, and the first such answer settles it, the other
 * questions aborted; otherwise it waits for every answer, a silent peer's until its request times
 * out. A peer out of reach, or holding no more than this member, is no reason: asked for blocks,
 * it would serve none. What the periodic catch-up asks first, so that an idle member asks its
 * peers for their tips and not for the blocks above its own.
 */
export async function catchUpWanted(chain: Chain, peers: { memberIndex: number; apiUrl: string }[], stopRequested?: AbortSignal): Promise<boolean> {
  const requests = runRequests(stopRequested);
  const chainId = Buffer.from(chain.genesis.chainId).toString('hex');
  const reasons = peers.map((peer) => {
    const { source, tip } = askTip(peer, requests.signal);
    return tip.then(
      (served) => served.height > chain.tip.height || otherChainServed(source, served, chainId) !== undefined,
      (error: unknown) => failedFetch(error) === 'unusable-answer',
    );
  });
  try {
    return await new Promise<boolean>((resolve) => {
      for (const reason of reasons) void reason.then((wanted) => wanted && resolve(true));
      void Promise.all(reasons).then(() => resolve(false));
    });
  } finally {
    requests.end();
  }
}

/** A signal for a run's requests, aborted at a stop asked and at `end`, which the run calls as it ends. */
function runRequests(stopRequested?: AbortSignal): { signal: AbortSignal; end: () => void } {
  const ended = new AbortController();
  const abort = () => ended.abort();
  stopRequested?.addEventListener('abort', abort, { once: true });
  if (stopRequested?.aborted) abort();
  return {
    signal: ended.signal,
    end: () => {
      stopRequested?.removeEventListener('abort', abort);
      abort();
    },
  };
}

/**
 * A peer that cannot be reached, or whose own database cannot be (503 `database-unavailable`), is
 * passed over for the next one, as its own log says why; anything else it answers is unusable.
 */
const failedFetch = (error: unknown) => (error instanceof MemberApiError && (error.status === 0 || error.status === 503) ? 'peer-unreachable' : 'unusable-answer');

/**
 * Applies the blocks a source serves above the chain's tip, in order, until it has no more or
 * serves something unusable; `asked` is its tip, where the caller asked it already. Up to the
 * height the source announced, PREFETCH blocks are requested ahead and their signatures verified
 * on the thread pool meanwhile; past it, one at a time. Nothing fetched ahead is applied before
 * the block below it. Consensus may append blocks at the same time: a height it reached first is
 * skipped.
 */
export async function applyServedBlocks(chain: Chain, source: BlockSource, asked: Promise<ServedTip> = source.tip()): Promise<CatchUpRun> {
  let tip: ServedTip;
  try {
    tip = await asked;
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
        if (chain.tip.height < height) return { applied, stop: { reason: isDatabaseUnavailable(error) ? 'database-unavailable' : 'refused-block', height, error } };
      }
    }
    warmup.applied(height);
  }
}
