import type { Logger } from 'pino';
import { z } from 'zod';
import type { Chain } from './chain.ts';

const finalBlockResponse = z.object({ height: z.number(), block: z.string().regex(/^[0-9a-f]*$/), commit: z.string().regex(/^[0-9a-f]*$/) });

/**
 * Fetches the final blocks this member missed from the other members' APIs, trusting none of
 * them: every block goes through the same certificate check and full execution as a block
 * decided here. Returns how many blocks were applied.
 */
export async function catchUp(chain: Chain, peers: { memberIndex: number; apiUrl: string }[], log: Logger, options: { timeoutMs?: number } = {}): Promise<number> {
  let applied = 0;
  const order = [...peers].sort(() => Math.random() - 0.5);
  for (const peer of order) {
    for (;;) {
      const height = chain.tip.height + 1;
      let response: Response;
      try {
        response = await fetch(`${peer.apiUrl}/chain/blocks/${height}`, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
      } catch (error) {
        log.debug({ peer: peer.memberIndex, err: error }, 'catch-up: peer unreachable');
        break;
      }
      if (response.status === 404) break;
      const parsed = finalBlockResponse.safeParse(await response.json().catch(() => null));
      if (!response.ok || !parsed.success || parsed.data.height !== height) {
        log.warn({ peer: peer.memberIndex, height, status: response.status }, 'catch-up: peer sent an unusable answer');
        break;
      }
      try {
        await chain.applyFinalBlock(new Uint8Array(Buffer.from(parsed.data.block, 'hex')), new Uint8Array(Buffer.from(parsed.data.commit, 'hex')));
      } catch (error) {
        // Another path may have appended this height meanwhile; anything else is a bad block.
        if (chain.tip.height >= height) continue;
        log.warn({ peer: peer.memberIndex, height, err: error }, 'catch-up: refused a block from a peer');
        break;
      }
      applied += 1;
    }
  }
  return applied;
}
