import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { StderrLines } from '../../cli/stderr-line.ts';
import { progressLine } from '../../cli/progress.ts';

/** Lines on a stream that says whether it is a terminal, as stderr does, and everything written to it. */
function linesOn(isTTY: boolean): { lines: StderrLines; written: () => string } {
  const stream = Object.assign(new PassThrough({ encoding: 'utf8' }), { isTTY, columns: isTTY ? 80 : undefined });
  return { lines: new StderrLines(stream), written: () => (stream.read() as string | null) ?? '' };
}

type Step = (lines: StderrLines) => void;
const start: Step = (lines) => lines.startProgress('submitted ab, waiting for finality', 'waiting for finality of ab');
const dot: Step = (lines) => lines.addProgress('.');
const end: Step = (lines) => lines.end();
const failedOver = (to: string): Step => (lines) => lines.say(`member at A is unreachable; ${to} answered instead`);
// pegout status's line, as it follows a burn: the same ProgressLine its callers use.
let burn: ReturnType<typeof progressLine>;
const follow: Step = (lines) => (burn = progressLine(lines));
const state = (text: string): Step => () => burn.show(text);
const clear: Step = () => burn.clear();

const cases: Array<[string, boolean, Step[], string]> = [
  ['writes the progress in pieces on one line and ends it once', false, [start, dot, dot, end, end], 'submitted ab, waiting for finality..\n'],
  [
    'ends the progress line before a line said meanwhile, and goes on below it saying what is awaited',
    false,
    [start, dot, failedOver('B'), dot, dot, end],
    'submitted ab, waiting for finality.\nmember at A is unreachable; B answered instead\nwaiting for finality of ab..\n',
  ],
  [
    'ends nothing more after a line said as the progress ends, and says a line alone when no progress is shown',
    false,
    [start, failedOver('B'), end, failedOver('C')],
    'submitted ab, waiting for finality\nmember at A is unreachable; B answered instead\nmember at A is unreachable; C answered instead\n',
  ],
  [
    'on a terminal, clears a state written in place before a line said meanwhile, and writes it again below that line',
    true,
    [follow, state('burned, waiting for finality…'), failedOver('B'), state('final at height 7…'), clear],
    '\rburned, waiting for finality…\x1b[K\r\x1b[Kmember at A is unreachable; B answered instead\nburned, waiting for finality…\x1b[K\rfinal at height 7…\x1b[K\r\x1b[K',
  ],
  [
    'on a terminal, ends a state written in place on its line before an error, and then says a line alone',
    true,
    [follow, state('burned, waiting for finality…'), end, failedOver('B')],
    '\rburned, waiting for finality…\x1b[K\nmember at A is unreachable; B answered instead\n',
  ],
  [
    'writes each state on a line of its own where no terminal watches, with a line said meanwhile between them',
    false,
    [follow, state('burned, waiting for finality…'), failedOver('B'), state('burned, waiting for finality…'), state('final at height 7…'), clear, end],
    'burned, waiting for finality…\nmember at A is unreachable; B answered instead\nfinal at height 7…\n',
  ],
];

describe('progress and lines on stderr', () => {
  for (const [behaviour, isTTY, steps, written] of cases) {
    it(behaviour, () => {
      const { lines, written: output } = linesOn(isTTY);
      for (const step of steps) step(lines);
      expect(output()).to.equal(written);
    });
  }
});
