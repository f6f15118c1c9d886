/**
 * A step that runs every `intervalMs` and never overlaps itself. `runSoon()` asks for a run now:
 * it starts at once, or right after the run in progress, so an event is never served by a run
 * that began before it.
 */
export class PeriodicTask {
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

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private run(): void {
    this.running = true;
    this.step()
      .catch(this.onError)
      .finally(() => {
        this.running = false;
        if (this.requested && !this.stopped) {
          this.requested = false;
          this.run();
        }
      });
  }
}
