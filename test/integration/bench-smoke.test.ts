import { expect } from 'chai';
import { ed25519Baseline } from '../../bench/ed25519-baseline.ts';
import { singleNodeThroughput } from '../../bench/single-node.ts';
import { auditSpeed } from '../../bench/audit.ts';
import { bytesPerWithdrawal } from '../../bench/peg.ts';
import { anchorSize } from '../../bench/anchor.ts';
import { ledgerMemory } from '../../bench/ledger-memory.ts';
import { federationThroughput } from '../../bench/federation.ts';

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

  it('measure a federation of member processes: final transfers against the Ed25519 baseline, finality, rounds, and every process\'s CPU per final transfer against one verification', async () => {
    const baseline = ed25519Baseline(50);
    const figures = await federationThroughput(baseline, { members: 3, offeredPerSecond: 50, seconds: 1, warmUpTransfers: 10 });
    const label = 'federation (3 members, 50 tx/s offered)';
    const loaded = 'heights of 100 transfers or more';
    const oneVerification = 'one Ed25519 verification';
    expect(figures.map((f) => [f.name, f.unit, f.baseline?.name])).to.deep.equal([
      [`${label}: final transfers`, 'tx/s', baseline.name],
      [`${label}: submissions refused or failed`, 'transfers', 'transfers offered'],
      [`${label}: finality p50`, 'ms', undefined],
      [`${label}: finality p99`, 'ms', undefined],
      [`${label}: final blocks`, 'blocks/s', undefined],
      [`${label}: heights decided in their first round`, '%', undefined],
      [`${label}: rounds of the slowest height`, 'rounds', undefined],
      [`${label}: ${loaded} decided after their first round`, 'heights', loaded],
      [`${label}: extra rounds of ${loaded}`, 'rounds', loaded],
      [`${label}: members' spread in storing a height they decided, p50`, 'ms', undefined],
      [`${label}: members' spread in storing a height they decided, p90`, 'ms', undefined],
      [`${label}: members' spread in storing a height they decided, largest`, 'ms', undefined],
      [`${label}: peer frames a second, busiest link`, 'frames/s', 'peer frame budget in force (per sending member)'],
      [`${label}: member CPU per final transfer, all members`, 'ms', oneVerification],
      [`${label}: member CPU outside the main threads per final transfer, all members`, 'ms', oneVerification],
      [`${label}: member CPU per final block, all members`, 'ms', oneVerification],
      [`${label}: signatures verified per final transfer, all members`, 'verifications', undefined],
      [`${label}: Postgres CPU per final transfer, the members' shared server`, 'ms', oneVerification],
      [`${label}: bench process CPU per final transfer, clients and regtest node`, 'ms', oneVerification],
      [`${label}: CPU of every process per final transfer, members, Postgres and bench`, 'ms', oneVerification],
    ]);
    const [final, refused, p50, p99, blocks, firstRound, slowest] = figures;
    // Fifty transfers offered in the window, every one of them final.
    expect(refused!.value).to.equal(0);
    expect(refused!.baseline?.value).to.equal(50);
    expect(final!.value).to.be.greaterThan(0);
    expect(final!.ratio).to.equal(final!.value / baseline.value);
    expect(p99!.value).to.be.at.least(p50!.value);
    expect(blocks!.value).to.be.greaterThan(0);
    expect(firstRound!.value).to.be.within(0, 100);
    expect(slowest!.value).to.be.at.least(1);
    const cpu = figures.filter((f) => f.baseline?.name === oneVerification);
    for (const f of cpu) expect(f.baseline?.value).to.equal(1000 / baseline.value);
    // Member CPU, with /proc (NaN without it) the part outside the main threads, is the members' work alone.
    const [members, , , , , all] = cpu;
    expect(members!.value).to.be.greaterThan(0);
    expect(all!.value).to.be.greaterThan(members!.value);
    // Each of three members verifies each transfer as it admits it.
    const verified = figures.find((f) => f.name === `${label}: signatures verified per final transfer, all members`);
    expect(verified!.value).to.be.at.least(3);
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
