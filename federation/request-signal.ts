/** A request's signal, and what the caller says once the request has ended. */
export interface RequestSignal {
  signal: AbortSignal;
  /** Stops the request's timer: called once the request has its answer or has failed. */
  ended(): void;
}

/**
 * A request's signal: aborted with a TimeoutError after `timeoutMs`, as `AbortSignal.timeout`
 * does, and at once when `stopRequested` aborts. Node 20's `AbortSignal.any` holds its sources
 * weakly, so an `AbortSignal.timeout` reachable only through it was garbage-collected with its
 * timer and the request never timed out: a member's start hung for minutes on a peer paused with
 * SIGSTOP. The timeout here is a controller that its own timer holds until it fires or the request
 * ends. `AbortSignal.timeout`'s timer cannot be stopped: it fired for every request long after its
 * answer, and built a DOMException each time, 16-21 µs of CPU a request in all against 4-7 for
 * this one (docs/PERFORMANCE.md).
 */
export function requestSignal(timeoutMs: number, stopRequested?: AbortSignal): RequestSignal {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs).unref();
  return { signal: stopRequested ? AbortSignal.any([timeout.signal, stopRequested]) : timeout.signal, ended: () => clearTimeout(timer) };
}
