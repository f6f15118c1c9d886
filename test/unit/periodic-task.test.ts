import { expect } from 'chai';
import { PeriodicTask } from '../../federation/member/periodic-task.ts';

/** A step that records its runs and finishes only when the test says so. */
function controlledStep() {
  const runs: { finish: () => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const step = () =>
    new Promise<void>((resolve) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      runs.push({
        finish: () => {
          active -= 1;
          resolve();
        },
      });
    });
  return { step, runs, maxActive: () => maxActive };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PeriodicTask', () => {
  it('runs at once when asked and never overlaps itself', async () => {
    const { step, runs, maxActive } = controlledStep();
    const task = new PeriodicTask(step, 3_600_000, () => {});
    task.runSoon();
    task.runSoon();
    task.runSoon();
    expect(runs).to.have.length(1);
    runs[0]!.finish();
    await settle();
    // Requests made during a run are served by one more run, which starts after it.
    expect(runs).to.have.length(2);
    runs[1]!.finish();
    await settle();
    expect(runs).to.have.length(2);
    expect(maxActive()).to.equal(1);
    task.stop();
  });

  it('keeps running after a failed step, reporting the error', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const task = new PeriodicTask(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('node unreachable');
      },
      3_600_000,
      (error) => errors.push(error),
    );
    task.runSoon();
    await settle();
    task.runSoon();
    await settle();
    expect(calls).to.equal(2);
    expect(errors.map((error) => (error as Error).message)).to.deep.equal(['node unreachable']);
    task.stop();
  });

  it('does nothing once stopped, not even a run requested during the last one', async () => {
    const { step, runs } = controlledStep();
    const task = new PeriodicTask(step, 3_600_000, () => {});
    task.runSoon();
    task.runSoon();
    task.stop();
    runs[0]!.finish();
    await settle();
    task.runSoon();
    expect(runs).to.have.length(1);
  });

  it('resolves its stop once the run in progress ends, and does not report a failure of that run', async () => {
    const errors: unknown[] = [];
    let fail: (error: Error) => void = () => {};
    const task = new PeriodicTask(() => new Promise<void>((_resolve, reject) => (fail = reject)), 3_600_000, (error) => errors.push(error));
    task.runSoon();
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await settle();
    expect(stopped, 'stopped while its run still goes on').to.equal(false);
    // What the step used closes under it once the member stops: no failure of the member's to report.
    fail(new Error('Cannot use a pool after calling end on the pool'));
    await stopping;
    expect(stopped).to.equal(true);
    expect(errors).to.deep.equal([]);
    expect(await Promise.race([new PeriodicTask(async () => {}, 3_600_000, () => {}).stop().then(() => 'resolved'), settle().then(() => 'pending')])).to.equal('resolved');
  });
});
