import { z } from 'zod';
import { MemberApiError, MemberClient } from '../api/client.ts';
import { AuditFailure } from './auditor.ts';
import type { ServedBlock } from '../member/signature-warmup.ts';


/** Where the audited chain comes from. Nothing it says is believed before the auditor checks it. */
export interface BlockSource {
  /** Said in the report: which member (or which file) served the chain. */
  description: string;
  /** The height the source claims to have, for progress only. */
  height(): Promise<number>;
  /** The block at `height`, or null past the end of the chain. */
  block(height: number): Promise<ServedBlock | null>;
}

const hexBytes = z.string().regex(/^([0-9a-f]{2})*$/, 'expected lowercase hex');
const servedBlock = z.object({ height: z.number().int(), block: hexBytes, commit: hexBytes });
const servedStatus = z.object({ height: z.number().int().min(0) });

/** A member's public API (GET /status, GET /chain/blocks/:height). Its answers are only data. */
export function memberBlockSource(client: MemberClient): BlockSource {
  return {
    description: client.baseUrl,
    async height() {
      const status = servedStatus.safeParse(await client.status());
      if (!status.success) throw new AuditFailure('source', undefined, `member ${client.baseUrl} answered /status with no chain height`);
      return status.data.height;
    },
    async block(height) {
      let answer: unknown;
      try {
        answer = await client.finalBlock(height);
      } catch (error) {
        if (error instanceof MemberApiError && error.status === 404) return null;
        throw error;
      }
      const parsed = servedBlock.safeParse(answer);
      if (!parsed.success) throw new AuditFailure('source', height, `member ${client.baseUrl} served an unreadable answer for block ${height} (${parsed.error.issues[0]!.message})`);
      if (parsed.data.height !== height) throw new AuditFailure('source', height, `member ${client.baseUrl} answered for block ${height} with block ${parsed.data.height}`);
      return { block: new Uint8Array(Buffer.from(parsed.data.block, 'hex')), commit: new Uint8Array(Buffer.from(parsed.data.commit, 'hex')) };
    },
  };
}

/** Blocks already in memory, index 0 holding height 1: for tests and the benchmark. */
export function memoryBlockSource(blocks: readonly ServedBlock[], description = 'blocks in memory'): BlockSource {
  return {
    description,
    height: async () => blocks.length,
    block: async (height) => blocks[height - 1] ?? null,
  };
}
