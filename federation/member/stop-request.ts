import { StrongboxError } from '../../sidechain/errors.ts';

/** A stop was asked (SIGINT, SIGTERM) before the member had started; what it had opened is closed. */
export class StoppedWhileStartingError extends StrongboxError {
  constructor() {
    super('stopped-while-starting', 'the member was asked to stop while it was starting');
  }
}

/**
 * A safe point of the start: between its steps, between ranges of blocks replayed, between asks of
 * the peers. Throws once a stop has been asked, for the start to close what it opened and end.
 */
export function throwIfStopRequested(stopRequested: AbortSignal | undefined): void {
  if (stopRequested?.aborted) throw new StoppedWhileStartingError();
}
