import { expect } from 'chai';
import { IntervalLog } from '../../federation/observability/interval-log.ts';
import { ConfigError } from '../../sidechain/errors.ts';
import { capturedLog } from '../helpers/captured-log.ts';

const waitUntil = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

const fields = ({ from, reason, repeats, lastReason, msg }: Record<string, unknown>) => ({ from, reason, repeats, lastReason, msg });

describe('interval log', () => {
  it('logs the first refusal of each peer at once and the rest of its interval as one count', async () => {
    const { lines, log } = capturedLog();
    const refusals = new IntervalLog(log, 'refused federation signatures', 30);
    for (let i = 0; i < 1_000; i++) refusals.occurred(String(4), { from: 4 }, `bad ${i}`);
    refusals.occurred(String(2), { from: 2 }, 'malformed');
    expect(lines.map(fields)).to.deep.equal([
      { from: 4, reason: 'bad 0', repeats: undefined, lastReason: undefined, msg: 'refused federation signatures' },
      { from: 2, reason: 'malformed', repeats: undefined, lastReason: undefined, msg: 'refused federation signatures' },
    ]);
    await waitUntil(() => lines.length === 3);
    expect(fields(lines[2]!)).to.deep.equal({ from: 4, reason: undefined, repeats: 999, lastReason: 'bad 999', msg: 'refused federation signatures (more in the last interval)' });
    // Peer 2's interval ends with nothing held back: no second line for it; the next refusal opens a new interval.
    refusals.occurred(String(4), { from: 4 }, 'again');
    expect(fields(lines[3]!)).to.deep.equal({ from: 4, reason: 'again', repeats: undefined, lastReason: undefined, msg: 'refused federation signatures' });
    refusals.flush();
    expect(lines).to.have.length(4);
  });

  it('logs what it holds back when flushed', () => {
    const { lines, log } = capturedLog();
    const refusals = new IntervalLog(log, 'refused', 60_000);
    refusals.occurred(String(1), { from: 1 }, 'a');
    refusals.occurred(String(1), { from: 1 }, 'b');
    refusals.occurred(String(1), { from: 1 }, 'c');
    refusals.flush();
    expect(lines.map(fields)).to.deep.equal([
      { from: 1, reason: 'a', repeats: undefined, lastReason: undefined, msg: 'refused' },
      { from: 1, reason: undefined, repeats: 2, lastReason: 'c', msg: 'refused (more in the last interval)' },
    ]);
  });

  it('logs a retried failure once with its reason, a bug with its stack, and the repeats as one count', () => {
    const { lines, log } = capturedLog();
    const failures = new IntervalLog(log, 'following Bitcoin failed; retrying', 60_000);
    for (let i = 0; i < 5; i++) failures.failed(new ConfigError('bitcoinRpcUrl', 'the node is unreachable'));
    failures.failed(new TypeError('undefined is not a function'));
    failures.flush();
    expect(lines.map(({ reason, repeats, lastReason, err, msg }) => ({ reason, repeats, lastReason, stack: (err as { stack?: string } | undefined)?.stack?.split('\n')[0], msg }))).to.deep.equal([
      { reason: 'bitcoinRpcUrl: the node is unreachable', repeats: undefined, lastReason: undefined, stack: undefined, msg: 'following Bitcoin failed; retrying' },
      { reason: 'undefined is not a function', repeats: undefined, lastReason: undefined, stack: 'TypeError: undefined is not a function', msg: 'following Bitcoin failed; retrying' },
      { reason: undefined, repeats: 4, lastReason: 'bitcoinRpcUrl: the node is unreachable', stack: undefined, msg: 'following Bitcoin failed; retrying (more in the last interval)' },
    ]);
  });
});
