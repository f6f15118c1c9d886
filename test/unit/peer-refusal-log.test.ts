import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../federation/observability/logger.ts';
import { PeerRefusalLog } from '../../federation/observability/peer-refusal-log.ts';

function capturedLog(): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ name: 'test', destination }) };
}

const waitUntil = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

const fields = ({ from, reason, refused, lastReason, msg }: Record<string, unknown>) => ({ from, reason, refused, lastReason, msg });

describe('peer refusal log', () => {
  it('logs the first refusal of each peer at once and the rest of its interval as one count', async () => {
    const { lines, log } = capturedLog();
    const refusals = new PeerRefusalLog(log, 'refused federation signatures', 30);
    for (let i = 0; i < 1_000; i++) refusals.refused(4, `bad ${i}`);
    refusals.refused(2, 'malformed');
    expect(lines.map(fields)).to.deep.equal([
      { from: 4, reason: 'bad 0', refused: undefined, lastReason: undefined, msg: 'refused federation signatures' },
      { from: 2, reason: 'malformed', refused: undefined, lastReason: undefined, msg: 'refused federation signatures' },
    ]);
    await waitUntil(() => lines.length === 3);
    expect(fields(lines[2]!)).to.deep.equal({ from: 4, reason: undefined, refused: 999, lastReason: 'bad 999', msg: 'refused federation signatures (more in the last interval)' });
    // Peer 2's interval ends with nothing held back: no second line for it; the next refusal opens a new interval.
    refusals.refused(4, 'again');
    expect(fields(lines[3]!)).to.deep.equal({ from: 4, reason: 'again', refused: undefined, lastReason: undefined, msg: 'refused federation signatures' });
    refusals.flush();
    expect(lines).to.have.length(4);
  });

  it('logs what it holds back when flushed', () => {
    const { lines, log } = capturedLog();
    const refusals = new PeerRefusalLog(log, 'refused', 60_000);
    refusals.refused(1, 'a');
    refusals.refused(1, 'b');
    refusals.refused(1, 'c');
    refusals.flush();
    expect(lines.map(fields)).to.deep.equal([
      { from: 1, reason: 'a', refused: undefined, lastReason: undefined, msg: 'refused' },
      { from: 1, reason: undefined, refused: 2, lastReason: 'c', msg: 'refused (more in the last interval)' },
    ]);
  });
});
