import { z } from 'zod';
import { ConfigError } from '../sidechain/errors.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../federation/api/client.ts';

const VARIABLE = 'STRONGBOX_REQUEST_TIMEOUT_MS';
/** A member that has not answered in ten minutes is not going to; a longer wait only hides it. */
const MAX_REQUEST_TIMEOUT_MS = 600_000;
const reason = `expected whole milliseconds 1..${MAX_REQUEST_TIMEOUT_MS}`;
const requestTimeoutSchema = z
  .string()
  .regex(/^[0-9]+$/, reason)
  .transform(Number)
  .pipe(z.number().int(reason).min(1, reason).max(MAX_REQUEST_TIMEOUT_MS, reason));

/**
 * How long a command waits for a member's answer before it passes over to the next member, or
 * says the member is unreachable: $STRONGBOX_REQUEST_TIMEOUT_MS, else 10 s. A setting of the link
 * between this machine and the members, so one variable for every command rather than an option
 * of each.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[VARIABLE];
  if (raw === undefined || raw === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const parsed = requestTimeoutSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(VARIABLE, `${reason}, got ${JSON.stringify(raw)}`);
  return parsed.data;
}
