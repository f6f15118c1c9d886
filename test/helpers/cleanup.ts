// Shared services (one Postgres server, one regtest node per test run) register how to stop
// themselves here; the root hook stops them once, after the last test, so no process outlives
// the run.
const stoppers: Array<() => Promise<void>> = [];

export function onTestRunEnd(stop: () => Promise<void>): void {
  stoppers.push(stop);
}

export async function stopSharedServices(): Promise<void> {
  const errors: unknown[] = [];
  for (const stop of stoppers.splice(0).reverse()) {
    try {
      await stop();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'stopping shared test services failed');
}
