import { expect } from 'chai';
import { ed25519Baseline } from '../../bench/ed25519-baseline.ts';
import { singleNodeThroughput } from '../../bench/single-node.ts';
import { auditSpeed } from '../../bench/audit.ts';
import { bytesPerWithdrawal } from '../../bench/peg.ts';
import { anchorSize } from '../../bench/anchor.ts';
import { ledgerMemory } from '../../bench/ledger-memory.ts';

// A quick run that only checks the benchmarks work; the figures come from `npm run bench`.
describe('benchmarks (smoke run)', function () {
  this.timeout(120_000);

  it('measure single-node throughput against the Ed25519 baseline and the store alone, and the database growth per transfer', async () => {
    const baseline = ed25519Baseline(50);
    expect(baseline.value).to.be.greaterThan(0);
    const [throughput, storeAlone, share, growth, mainCpu, allCpu] = await singleNodeThroughput(baseline, { inputs: 2, transfers: 200 });
    expect([throughput, storeAlone, share, growth, mainCpu, allCpu].map((f) => f!.unit)).to.deep.equal(['tx/s', 'tx/s', 'tx/s', 'MB', 'µs', 'µs']);
    // The thread pool verifies the signatures: all threads together use more than the main one.
    expect(allCpu!.value).to.be.greaterThan(mainCpu!.value);
    expect(allCpu!.baseline?.value).to.equal(1_000_000 / baseline.value);
    expect(throughput!.value).to.be.greaterThan(0);
    expect(throughput!.ratio).to.equal(throughput!.value / baseline.value);
    expect(share!.value).to.equal(throughput!.value);
    expect(share!.baseline?.name).to.equal(storeAlone!.name);
    expect(growth!.value).to.be.greaterThan(0);
    expect(growth!.baseline?.value).to.be.greaterThan(0);
  });

  it('measure audit speed against the signature ceiling, audit time against the shortest chain, and a block\'s CPU with every signature cached against its CPU in all', async () => {
    const baseline = ed25519Baseline(50);
    const figures = await auditSpeed(baseline, [100, 20]);
    expect(figures.map((f) => [f.name, f.unit])).to.deep.equal([
      ['audit ceiling: Ed25519 verifications/s ÷ 5 signatures per block', 'blocks/s'],
      ['audit time, 20 blocks', 's'],
      ['audit speed, 20 blocks', 'blocks/s'],
      ['audit time, 100 blocks', 's'],
      ['audit speed, 100 blocks', 'blocks/s'],
      ['audit CPU per block, 100 blocks', 'µs'],
      ['audit CPU per block with every signature cached, 100 blocks', 'µs'],
    ]);
    const [ceiling, , speed, longer, , cpu, cached] = figures;
    expect(ceiling!.value).to.equal(baseline.value / 5);
    expect(speed!.value).to.be.greaterThan(0);
    expect(speed!.ratio).to.equal(speed!.value / ceiling!.value);
    expect(longer!.baseline?.name).to.equal('audit time, 20 blocks');
    expect(cpu!.value).to.be.greaterThan(0);
    expect(cached!.value).to.be.greaterThan(0);
    expect(cached!.baseline?.name).to.equal(cpu!.name);
  });

  it('measure live memory per UTXO of a ledger against the same outputs in a Map of objects', () => {
    const [map, ledger] = ledgerMemory({ utxos: 10_000 });
    expect([map!.unit, ledger!.unit]).to.deep.equal(['bytes', 'bytes']);
    expect(map!.value).to.be.greaterThan(0);
    expect(ledger!.value).to.be.greaterThan(0);
    expect(ledger!.baseline?.name).to.equal(map!.name);
    expect(ledger!.ratio).to.equal(ledger!.value / map!.value);
  });

  it('measure Bitcoin bytes per withdrawal, which fall as a settlement batches more withdrawals', () => {
    const figures = bytesPerWithdrawal([1, 10, 100]);
    expect(figures.map((f) => f.unit)).to.deep.equal(['vB', 'vB', 'vB']);
    const [one, ten, hundred] = figures.map((f) => f.value);
    expect(one).to.be.greaterThan(ten!);
    expect(ten).to.be.greaterThan(hundred!);
    // A P2WPKH payment output alone is 31 vB: batching cannot go below it.
    expect(hundred).to.be.greaterThan(31);
  });

  it('measure the signed size of an anchor and what one more OP_RETURN output adds to a batch', () => {
    const [anchor, riding] = anchorSize();
    expect([anchor!.unit, riding!.unit]).to.deep.equal(['vB', 'vB']);
    expect(anchor!.value).to.be.greaterThan(200);
    // 8 (value) + 1 (script length) + 46 (OP_RETURN, push of 44 bytes).
    expect(riding!.value).to.equal(55);
  });
});
