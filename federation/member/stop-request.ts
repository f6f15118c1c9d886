import { StrongboxError } from '../../sidechain/errors.ts';

/**
 * A stop was asked (SIGINT, SIGTERM) before the member had started; what it had opened is closed.
 * `waitingFor` names what the start was waiting on when the stop ended the wait, if anything.
 */
export class StoppedWhileStartingError extends StrongboxError {
  constructor(readonly waitingFor?: string) {
    super('stopped-while-starting', `the member was asked to stop while it was starting${waitingFor ? `, waiting for ${waitingFor}` : ''}`);
  }
}

/**
 * A safe point of the start: between its steps, between ranges of blocks replayed, between asks of
 * the peers; or a wait the stop ended, which `waitingFor` names. Throws once a stop has been asked,
 * for the start to close what it opened and end.
 */
export function throwIfStopRequested(stopRequested: AbortSignal | undefined, waitingFor?: string): void {
  if (stopRequested?.aborted) throw new StoppedWhileStartingError(waitingFor);
}
