import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { heightEntrySpreads } from '../../bench/height-entry-spread.ts';

const final = (height: number, time: number) => JSON.stringify({ level: 30, time, name: 'member', height, txs: 3, round: 0, msg: 'block final' });
const other = (time: number) => JSON.stringify({ level: 30, time, msg: 'caught up with peers', height: 9 });

describe("the bench's spread of members storing a height", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'height-entry-spread-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the latest member less the earliest, per height from the first one asked, over heights two members or more stored themselves', () => {
    const logs = [
      [final(4, 900), final(5, 1_000), final(6, 2_000), final(7, 3_000)],
      [final(5, 1_250), other(1_500), final(6, 2_040), final(7, 3_010)],
      [final(5, 1_100), final(6, 3_600)],
    ].map((lines, index) => {
      const file = join(dir, `member-${index}.log`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    });
    // Height 4 is before the run; height 7 was stored by two members; none of height 8.
    expect(heightEntrySpreads(logs, 5)).to.deep.equal([250, 1_600, 10]);
    writeFileSync(join(dir, 'alone.log'), `${final(5, 1_000)}\n`);
    expect(heightEntrySpreads([join(dir, 'alone.log')], 5)).to.deep.equal([]);
  });
});
