import { expect } from 'chai';
import { reorgLine } from '../../cli/actions/pegin.ts';

/** What `strongbox pegin resume` says of the deep Bitcoin reorg that halted minting. */
describe('pegin resume names the reorg that halted minting', () => {
  const cases: { reorg: Parameters<typeof reorgLine>[0]; line: string }[] = [
    { reorg: { depth: 1, forkHeight: 440 }, line: 'the reorg: 1 block deep, fork at height 440' },
    { reorg: { depth: 7, forkHeight: 433 }, line: 'the reorg: 7 blocks deep, fork at height 433' },
    { reorg: { depth: null, forkHeight: null }, line: 'the reorg: its fork lies below every Bitcoin block this member remembers, so its depth and fork height are unknown' },
    { reorg: null, line: 'the reorg: its fork lies below every Bitcoin block this member remembers, so its depth and fork height are unknown' },
  ];
  for (const { reorg, line } of cases) {
    it(`says ${JSON.stringify(line)} of ${JSON.stringify(reorg)}`, () => {
      expect(reorgLine(reorg)).to.equal(line);
    });
  }
});
