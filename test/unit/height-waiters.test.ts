import { expect } from 'chai';
import { HeightWaiters } from '../../federation/member/height-waiters.ts';

/** Whether `promise` has settled after the pending callbacks and timers due now have run. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  let result: { value: T } | undefined;
  void promise.then((value) => (result = { value }));
  await new Promise((resolve) => setImmediate(resolve));
  return result;
}

describe('height waiters', () => {
  it('answer at once for a height already reached, and when no wait is asked for', async () => {
    const waiters = new HeightWaiters(5, 10);
    expect(await waiters.reached(5, 1_000)).to.equal(true);
    expect(await waiters.reached(6, 0)).to.equal(false);
    expect(waiters.count).to.equal(0);
  });

  it('answer when the chain reaches the height, and not before', async () => {
    const waiters = new HeightWaiters(5, 10);
    const seven = waiters.reached(7, 60_000);
    waiters.advanced(6);
    expect(await settled(seven)).to.equal(undefined);
    waiters.advanced(8);
    expect(await settled(seven)).to.deep.equal({ value: true });
    expect(waiters.count).to.equal(0);
  });

  it('answer false once the time is up, and forget the caller', async () => {
    const waiters = new HeightWaiters(5, 10);
    expect(await waiters.reached(6, 5)).to.equal(false);
    expect(waiters.count).to.equal(0);
  });

  it('answer at once, without waiting, past the limit of callers waiting together', async () => {
    const waiters = new HeightWaiters(0, 2);
    const first = waiters.reached(1, 60_000);
    const second = waiters.reached(1, 60_000);
    expect(await waiters.reached(1, 60_000)).to.equal(false);
    waiters.advanced(1);
    expect([await first, await second]).to.deep.equal([true, true]);
  });

  it('answer every caller when closed, and wait no more after', async () => {
    const waiters = new HeightWaiters(0, 10);
    const waiting = waiters.reached(3, 60_000);
    waiters.close();
    expect(await waiting).to.equal(false);
    expect(await waiters.reached(3, 60_000)).to.equal(false);
    expect(waiters.count).to.equal(0);
  });
});
