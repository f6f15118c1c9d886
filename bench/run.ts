import { ed25519Baseline } from './ed25519-baseline.ts';
import { singleNodeThroughput } from './single-node.ts';
import { federationThroughput } from './federation.ts';
import { proposalLogWrite } from './proposal-log.ts';
import { auditSpeed } from './audit.ts';
import { bytesPerWithdrawal, pegLatency } from './peg.ts';
import { anchorSize } from './anchor.ts';
import { memberMemory } from './memory.ts';
import { ledgerMemory } from './ledger-memory.ts';
import { printTable, type Figure } from './report.ts';

/**
 * `npm run bench` measures every figure next to a baseline taken in the same run, on the same
 * machine, so the ratios mean something on a shared, noisy host. `--json` prints the same as JSON;
 * `--quick` runs a small version that only checks the benchmarks work.
 */
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const progress = (step: string) => {
  if (!json) console.error(`… ${step}`);
};

const figures: Figure[] = [];
progress('Ed25519 baseline');
const baseline = ed25519Baseline(quick ? 200 : 2_000);
figures.push(baseline);
for (const inputs of [1, 2] as const) {
  progress(`single node, ${inputs}-input transfers`);
  figures.push(...(await singleNodeThroughput(baseline, { inputs, transfers: quick ? 1_000 : 20_000 })));
}
// Five members well below their capacity, at the goal's load and beyond; three and seven at the
// goal's load show how the federation scales; clients sending batches show what a request costs.
const federationRuns: { members: number; offeredPerSecond: number; batchMs?: number }[] = quick
  ? [{ members: 5, offeredPerSecond: 200 }, { members: 5, offeredPerSecond: 200, batchMs: 50 }]
  : [
      { members: 3, offeredPerSecond: 1_000 },
      { members: 5, offeredPerSecond: 100 },
      { members: 5, offeredPerSecond: 1_000 },
      { members: 5, offeredPerSecond: 1_000, batchMs: 50 },
      { members: 5, offeredPerSecond: 2_500 },
      { members: 7, offeredPerSecond: 1_000 },
    ];
// Each run first offers its load unmeasured for as many transfers as 4 s at 1,000 tx/s, so the
// figures at every rate are those of members past compiling their hot code; --quick only checks
// the runs work, and skips it.
for (const run of federationRuns) {
  progress(`${run.members} member processes, ${run.offeredPerSecond} tx/s offered${run.batchMs ? ` in batches every ${run.batchMs} ms` : ''}`);
  figures.push(...(await federationThroughput(baseline, { ...run, seconds: quick ? 2 : 8, warmUpTransfers: quick ? 0 : 4_000 })));
}
progress("a proposal's write-ahead-log record, with and without its block");
figures.push(...(await proposalLogWrite(quick ? { blockBytes: [200_000], rounds: 4 } : { blockBytes: [200_000, 1_300_000, 4_000_000], rounds: 40 })));
progress('ledger memory with a large UTXO set');
figures.push(...ledgerMemory({ utxos: quick ? 10_000 : 1_000_000 }));
progress('member memory with a large UTXO set');
figures.push(...(await memberMemory(quick ? { members: 3, utxos: 10_000, settleMs: 5_000 } : { members: 5, utxos: 1_000_000 })));
progress('peg-in mint and peg-out broadcast latency, five member processes and regtest');
figures.push(...(await pegLatency(quick ? 1 : 10)));
figures.push(...bytesPerWithdrawal([1, 10, 100]));
figures.push(...anchorSize());
progress('audit of signed chains in memory');
figures.push(...(await auditSpeed(baseline, quick ? [200, 1_000] : [1_000, 5_000, 10_000])));

if (json) console.log(JSON.stringify(figures, null, 2));
else printTable(figures);
