import { expect } from 'chai';
import { DueStep, type DueWork } from '../../federation/member/due-step.ts';

/** Work whose due time the test sets. */
const work = (dueAtMs?: number): DueWork & { dueMs: number | undefined } => ({
  dueMs: dueAtMs,
  dueAtMs() {
    return this.dueMs === undefined ? undefined : BigInt(this.dueMs);
  },
});

describe('DueStep', () => {
  it('runs the step as each piece of work falls due by the clock, the earliest first, never before', async () => {
    const now = Date.now();
    const anchor = work(now + 60);
    const batch = work(now + 30);
    const runs: number[] = [];
    let bothRun: () => void;
    const done = new Promise<void>((resolve) => (bothRun = resolve));
    const due = new DueStep([anchor, batch], () => {
      runs.push(Date.now());
      if (runs.length === 2) bothRun();
    });
    due.arm();
    await done;
    due.stop();
    expect(runs[0]).to.be.at.least(batch.dueMs!);
    expect(runs[1]).to.be.at.least(anchor.dueMs!);
  });
});
