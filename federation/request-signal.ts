/**
 * A request's signal: aborted with a TimeoutError after `timeoutMs`, as `AbortSignal.timeout`
 * does, and at once when `stopRequested` aborts. Node 20's `AbortSignal.any` holds its sources
 * weakly, so an `AbortSignal.timeout` reachable only through it was garbage-collected with its
 * timer and the request never timed out: a member's start hung for minutes on a peer paused with
 * SIGSTOP. The timeout here is a controller that its own timer holds until it fires.
 */
export function requestSignal(timeoutMs: number, stopRequested?: AbortSignal): AbortSignal {
  if (!stopRequested) return AbortSignal.timeout(timeoutMs);
  const timeout = new AbortController();
  setTimeout(() => timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs).unref();
  return AbortSignal.any([timeout.signal, stopRequested]);
}
