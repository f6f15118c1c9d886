import { expect } from 'chai';
import { ed25519Baseline } from '../../bench/ed25519-baseline.ts';
import { singleNodeThroughput } from '../../bench/single-node.ts';

// A quick run that only checks the benchmarks work; the figures come from `npm run bench`.
describe('benchmarks (smoke run)', function () {
  this.timeout(120_000);

  it('measure single-node throughput against the Ed25519 baseline of the same run', async () => {
    const baseline = ed25519Baseline(50);
    expect(baseline.value).to.be.greaterThan(0);
    const result = await singleNodeThroughput(baseline, { inputs: 2, transfers: 200 });
    expect(result.unit).to.equal('tx/s');
    expect(result.value).to.be.greaterThan(0);
    expect(result.ratio).to.equal(result.value / baseline.value);
  });
});
