import { expect } from 'chai';
import { addProgress, endProgress, sayLine, startProgress } from '../../cli/stderr-line.ts';

/** What the calls wrote to stderr, in one string. */
function stderrOf(calls: () => void): string {
  const write = process.stderr.write;
  let written = '';
  process.stderr.write = ((chunk: string) => ((written += chunk), true)) as typeof process.stderr.write;
  try {
    calls();
  } finally {
    process.stderr.write = write;
  }
  return written;
}

const start = () => startProgress('submitted ab, waiting for finality', 'waiting for finality of ab');
const dot = () => addProgress('.');
const failedOver = (to: string) => () => sayLine(`member at A is unreachable; ${to} answered instead`);

const cases: Array<[string, Array<() => void>, string]> = [
  ['writes the progress in pieces on one line and ends it once', [start, dot, dot, endProgress, endProgress], 'submitted ab, waiting for finality..\n'],
  [
    'ends the progress line before a line said meanwhile, and goes on below it saying what is awaited',
    [start, dot, failedOver('B'), dot, dot, endProgress],
    'submitted ab, waiting for finality.\nmember at A is unreachable; B answered instead\nwaiting for finality of ab..\n',
  ],
  [
    'ends nothing more after a line said as the progress ends, and says a line alone when no progress is shown',
    [start, failedOver('B'), endProgress, failedOver('C')],
    'submitted ab, waiting for finality\nmember at A is unreachable; B answered instead\nmember at A is unreachable; C answered instead\n',
  ],
];

describe('progress and lines on stderr', () => {
  for (const [behaviour, steps, written] of cases) {
    it(behaviour, () => expect(stderrOf(() => steps.forEach((step) => step()))).to.equal(written));
  }
});
