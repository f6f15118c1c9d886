/**
 * A step that runs every `intervalMs` and never overlaps itself. `runSoon()` asks for a run now:
 * it starts at once, or right after the run in progress, so an event is never served by a run
 * that began before it.
 */
export class PeriodicTask {
  /** The run in progress, settled (never rejected) once it ends. */
  private current: Promise<void> = Promise.resolve();
  private running = false;
  private requested = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly step: () => Promise<void>,
    intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.timer = setInterval(() => {
      if (!this.running) this.run();
    }, intervalMs);
  }

  runSoon(): void {
    if (this.stopped) return;
    if (this.running) this.requested = true;
    else this.run();
  }

  /**
   * No run starts after this; resolves once the run in progress has ended, so that what its step
   * uses (a database pool) is closed only after it. A step failing after the stop is not
   * reported: what it used is going away, and that is no failure of the member.
   */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    return this.current;
  }

  private run(): void {
    this.running = true;
    this.current = this.step()
      .catch((error: unknown) => {
        if (!this.stopped) this.onError(error);
      })
      .finally(() => {
        this.running = false;
        if (this.requested && !this.stopped) {
          this.requested = false;
          this.run();
        }
      });
  }
}
