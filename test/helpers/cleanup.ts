// Shared services (one Postgres server, one regtest node per test run) register how to stop
// themselves here; the root hook stops them after the last test, so no process outlives the run.
// In parallel mode root hooks run once per file, in a worker that goes on to other files and is
// then ended without a hook: a service is stopped after each file that started it and forgets
// itself, so the next file in that worker starts it anew. The list lives on globalThis so that the
// root hook and the tests share it however mocha loads them: a module required by one and
// imported by the other is two copies under Node 20 (.mocharc.json has mocha import both).
const STOPPERS = Symbol.for('strongbox.test.stoppers');
type Stopper = () => Promise<void>;

function stoppers(): Stopper[] {
  const global = globalThis as { [STOPPERS]?: Stopper[] };
  global[STOPPERS] ??= [];
  return global[STOPPERS];
}

export function onTestRunEnd(stop: Stopper): void {
  stoppers().push(stop);
}

export async function stopSharedServices(): Promise<void> {
  const errors: unknown[] = [];
  for (const stop of stoppers().splice(0).reverse()) {
    try {
      await stop();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'stopping shared test services failed');
}
