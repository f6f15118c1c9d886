import { StrongboxError } from '../sidechain/errors.ts';

/**
 * A command stopped waiting for a transaction a member had taken (its --wait ran out, or the
 * member it waited on went away): it may still become final. Not a refusal, which changed nothing
 * (exit 1): a script that took it for one and ran the command again could do it twice.
 */
export class NotFinalError extends StrongboxError {}

/** The exit code of a NotFinalError. */
export const NOT_FINAL_EXIT_CODE = 3;
