import { expect } from 'chai';
import { figure } from '../../bench/report.ts';

describe('bench report', () => {
  it('gives a figure its ratio to the baseline measured in the same run', () => {
    const baseline = figure('heights of 100 transfers or more', 4, 'heights');
    expect(figure('heights decided after their first round', 1, 'heights', baseline)).to.deep.equal({
      name: 'heights decided after their first round',
      value: 1,
      unit: 'heights',
      baseline: { name: 'heights of 100 transfers or more', value: 4, unit: 'heights' },
      ratio: 0.25,
    });
  });

  it('gives no ratio against a baseline of zero, which would print as NaN or Infinity', () => {
    const none = figure('heights of 100 transfers or more', 0, 'heights');
    for (const value of [0, 2]) {
      const measured = figure('heights decided after their first round', value, 'heights', none);
      expect(measured).to.not.have.property('ratio');
      expect(measured.baseline).to.deep.equal({ name: 'heights of 100 transfers or more', value: 0, unit: 'heights' });
    }
  });
});
