import { expect } from 'chai';
import { BURST_SECONDS, PeerBudget, TokenBucket } from '../../federation/transport/rate-limit.ts';

/** Admissions of frames of `size` bytes at each time (ms), as the budget answers them. */
function admitted(budget: PeerBudget, frames: readonly { atMs: number; size: number }[]): boolean[] {
  return frames.map((frame) => budget.admit(frame.size, frame.atMs));
}

const at = (atMs: number, count: number, size = 100) => Array.from({ length: count }, () => ({ atMs, size }));

describe('peer rate limit', () => {
  it('refills at the rate up to its capacity, never beyond', () => {
    const bucket = new TokenBucket(10, 20);
    expect(bucket.tokens(0)).to.equal(20);
    bucket.spend(20);
    expect(bucket.tokens(500)).to.equal(5);
    expect(bucket.tokens(10_000)).to.equal(20);
  });

  it('refills nothing when the clock steps back, and counts from the latest time seen', () => {
    const bucket = new TokenBucket(10, 20);
    expect(bucket.tokens(0)).to.equal(20);
    bucket.spend(20);
    expect(bucket.tokens(1_000)).to.equal(10);
    bucket.spend(10);
    expect(bucket.tokens(400)).to.equal(0);
    expect(bucket.tokens(1_100)).to.equal(1);
  });

  const cases: { name: string; limit: { framesPerSecond: number; bytesPerSecond: number }; frames: { atMs: number; size: number }[]; expected: boolean[] }[] = [
    {
      name: 'admits a burst of BURST_SECONDS worth of frames at once, then drops',
      limit: { framesPerSecond: 3, bytesPerSecond: 1_000_000 },
      frames: at(0, 3 * BURST_SECONDS + 2),
      expected: [...Array(3 * BURST_SECONDS).fill(true), false, false],
    },
    {
      name: 'admits again at the sustained rate once the burst is spent',
      limit: { framesPerSecond: 2, bytesPerSecond: 1_000_000 },
      frames: [...at(0, 2 * BURST_SECONDS), ...at(499, 1), ...at(500, 2), ...at(1_000, 1)],
      expected: [...Array(2 * BURST_SECONDS).fill(true), false, true, false, true],
    },
    {
      name: 'drops a frame whose bytes exceed the byte budget even with frames to spare, and charges nothing for it',
      limit: { framesPerSecond: 100, bytesPerSecond: 500 },
      frames: [...at(0, 1, 900), ...at(0, 1, 200), ...at(0, 1, 100), ...at(0, 1, 1)],
      expected: [true, false, true, false],
    },
    {
      name: 'a dropped frame spends no frame token',
      limit: { framesPerSecond: 1, bytesPerSecond: 10 },
      frames: [...at(0, 1, 50), ...at(0, 1, 5), ...at(0, 1, 5), ...at(0, 1, 5)],
      expected: [false, true, true, false],
    },
  ];

  for (const { name, limit, frames, expected } of cases) {
    it(name, () => {
      expect(admitted(new PeerBudget(limit), frames)).to.deep.equal(expected);
    });
  }

  it('holds a flood to the budget: of 100,000 frames in 10 s at most 2 s of burst plus 10 s of rate pass', () => {
    const budget = new PeerBudget({ framesPerSecond: 2_000, bytesPerSecond: 16 * 1024 * 1024 });
    const passed = Array.from({ length: 100_000 }, (_, index) => budget.admit(2_000, index / 10)).filter(Boolean).length;
    expect(passed).to.be.at.most(2_000 * (BURST_SECONDS + 10));
    expect(passed).to.be.at.least(2_000 * 10);
  });
});
