import { StrongboxError } from '../sidechain/errors.ts';

/** The embedded regtest node could not start; the message says what to change. */
export class RegtestStartError extends StrongboxError {
  constructor(
    reason: string,
    /** Its RPC port was taken: another port may do. */
    readonly portInUse = false,
  ) {
    super('regtest-start', `the embedded Bitcoin regtest node could not start: ${reason}`);
  }
}

/** A transaction did not reach the awaited depth in time. */
export class ConfirmationTimeoutError extends StrongboxError {
  constructor(message: string) {
    super('timeout', message);
  }
}
