import { z } from 'zod';
import { MemberClient } from '../api/client.ts';
import { MAX_BLOCKS_PER_RANGE } from '../api/member-routes.ts';
import { AuditFailure } from './auditor.ts';
import type { ServedBlock } from '../member/signature-warmup.ts';

/** Where the audited chain comes from. Nothing it says is believed before the auditor checks it. */
export interface BlockSource {
  /** Said in the report: which member (or which file) served the chain. */
  description: string;
  /**
   * What the source says it serves: its height, for progress only, and its chain id where it
   * names one, so that a genesis of another chain is told apart from a chain that breaks the rules.
   */
  tip(): Promise<ServedTip>;
  /** The block at `height`, or null past the end of the chain. */
  block(height: number): Promise<ServedBlock | null>;
}

const hexBytes = z.string().regex(/^([0-9a-f]{2})*$/, 'expected lowercase hex');
const servedBlock = z.object({ height: z.number().int(), block: hexBytes, commit: hexBytes });
const servedRange = z.object({ blocks: z.array(servedBlock).max(MAX_BLOCKS_PER_RANGE) });
const servedStatus = z.object({ height: z.number().int().min(0), chainId: z.string().optional() });

export interface ServedTip {
  height: number;
  chainId?: string;
}

/**
 * What is wrong with a source that names a chain other than `chainId` (the genesis's, in hex):
 * "<source> serves chain X, not chain Y", or undefined where it names this chain or none.
 */
export function otherChainServed(source: BlockSource, tip: ServedTip, chainId: string): string | undefined {
  if (tip.chainId === undefined || tip.chainId === chainId) return undefined;
  return `${source.description} serves chain ${tip.chainId}, not chain ${chainId}`;
}

/** Blocks asked for in one request, each block known to start here until the answer shows its length. */
interface BlockRange {
  from: number;
  blocks: Promise<ServedBlock[]>;
  length: number;
}

/**
 * A member's public API (GET /status, GET /chain/blocks?from=). Its answers are only data. Blocks
 * are fetched a range at a time (up to MAX_BLOCKS_PER_RANGE a request), so reading a long chain
 * stays within the member's API rate limit; a reader asks for heights in order, and a range is
 * let go once the reader has passed it.
 */
export function memberBlockSource(client: MemberClient): BlockSource {
  const ranges: BlockRange[] = [];
  const unreadable = (height: number, detail: string) => new AuditFailure('source', height, `member ${client.baseUrl} ${detail}`);
  async function fetchRange(from: number): Promise<ServedBlock[]> {
    const answer = await client.finalBlocks(from);
    const parsed = servedRange.safeParse(answer);
    if (!parsed.success) {
      // The client reads an answer that is not JSON as null.
      const issue = parsed.error.issues[0]!;
      const reason = answer === null ? 'not JSON' : `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
      throw unreadable(from, `served an unreadable answer for blocks from ${from} (${reason})`);
    }
    return parsed.data.blocks.map((served, index) => {
      if (served.height !== from + index) throw unreadable(from + index, `answered for block ${from + index} with block ${served.height}`);
      return { block: new Uint8Array(Buffer.from(served.block, 'hex')), commit: new Uint8Array(Buffer.from(served.commit, 'hex')) };
    });
  }
  return {
    // The member answering now: the client may have moved on to the next one it knows.
    get description() {
      return client.baseUrl;
    },
    async tip() {
      const status = servedStatus.safeParse(await client.status());
      if (!status.success) throw new AuditFailure('source', undefined, `member ${client.baseUrl} answered /status with no chain height`);
      return status.data;
    },
    async block(height) {
      for (let index = ranges.length - 1; index >= 0; index--) if (ranges[index]!.from + ranges[index]!.length <= height) ranges.splice(index, 1);
      for (;;) {
        let range = ranges.find(({ from, length }) => from <= height && height < from + length);
        if (!range) {
          range = { from: height, blocks: fetchRange(height), length: MAX_BLOCKS_PER_RANGE };
          ranges.push(range);
        }
        const blocks = await range.blocks;
        range.length = blocks.length;
        const served = blocks[height - range.from];
        if (served) return served;
        // Nothing from here: past the member's tip. A range that ended below this height (at its
        // byte bound, or at the tip as it was then) is asked again from here.
        if (range.from === height) return null;
      }
    },
  };
}

/** Blocks already in memory, index 0 holding height 1: for tests and the benchmark. */
export function memoryBlockSource(blocks: readonly ServedBlock[], description = 'blocks in memory'): BlockSource {
  return {
    description,
    tip: async () => ({ height: blocks.length }),
    block: async (height) => blocks[height - 1] ?? null,
  };
}
