import { z } from 'zod';
import { ValidationError } from '../../sidechain/errors.ts';
import type { FollowerState } from './machine.ts';

/**
 * The follower's state as JSON, amounts as decimal strings, so a member resumes from its stored
 * position after a restart. Parsing checks every field and the chain's linkage: a corrupted
 * record must stop the member, not make it follow a chain it never saw.
 */

const hash = z.string().regex(/^[0-9a-f]{64}$/);
const height = z.number().int().nonnegative();
const deposit = z.object({
  txid: hash,
  vout: z.number().int().nonnegative(),
  amountSats: z.string().regex(/^(0|[1-9]\d*)$/).transform((value) => BigInt(value)),
  recipient: z.string().regex(/^([0-9a-f]{2})+$/),
  scriptPubKey: z.string().regex(/^([0-9a-f]{2})+$/),
  blockHash: hash,
  height,
});
const entry = z.object({ height, hash, prevHash: hash, deposits: z.array(deposit), settled: z.boolean() });
const stateSchema = z.object({
  version: z.literal(1),
  confirmations: z.number().int().positive(),
  keep: z.number().int().positive(),
  chain: z.array(entry).min(1),
  reportedTip: z.object({ height, hash }).nullable(),
  halted: z.boolean(),
  deepReorg: z
    .object({ depth: z.number().int().positive().nullable(), forkHeight: z.number().int().nullable(), revoked: z.array(deposit) })
    .nullable(),
});

export function serializeFollowerState(state: FollowerState): string {
  return JSON.stringify({ version: 1, ...state }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

export function parseFollowerState(json: string): FollowerState {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ValidationError('bad-follower-state', 'stored follower state is not JSON');
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError('bad-follower-state', `stored follower state: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { version: _version, ...state } = parsed.data;
  state.chain.forEach((block, i) => {
    const parent = state.chain[i - 1];
    if (parent && (block.height !== parent.height + 1 || block.prevHash !== parent.hash)) {
      throw new ValidationError('bad-follower-state', `stored follower state: block ${block.height} does not link to the block below it`);
    }
  });
  return state;
}
