import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWalRecord } from '../federation/consensus/wal.ts';
import { startPostgresServer } from '../federation/postgres/embedded-server.ts';
import { figure, percentile, type Figure } from './report.ts';
import { withDatabase } from './single-node.ts';

/**
 * The write-ahead-log write a proposal waits for before it is sent, on a durable Postgres of its
 * own: the proposal's record without its block, as logged since 2026-12-06, against the same
 * record with the block, as logged before. The two are alternated, for blocks of each size; the
 * block is random bytes, which Postgres cannot compress, as it cannot compress signatures.
 */
export async function proposalLogWrite(options: { blockBytes: number[]; rounds: number }): Promise<Figure[]> {
  const root = join(tmpdir(), `strongbox-bench-${process.pid}-proposal-log`);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const server = await startPostgresServer({ dataDir: join(root, 'cluster') });
  try {
    return await withDatabase(server, 'member', async (store) => {
      const figures: Figure[] = [];
      for (const size of options.blockBytes) {
        const ms = { with: [] as number[], without: [] as number[] };
        for (let round = 0; round < options.rounds; round++) {
          const hash = randomBytes(32);
          const records = { with: { hash, bytes: randomBytes(size) }, without: { hash, bytes: null } };
          for (const kind of round % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
            const record = encodeWalRecord({ step: 'proposal', height: round + 1, round: kind === 'with' ? 0 : 1, polRound: -1, ...records[kind] });
            const start = performance.now();
            await store.appendWal(round + 1, record);
            ms[kind].push(performance.now() - start);
          }
        }
        const [withBlock, without] = [ms.with.sort((a, b) => a - b), ms.without.sort((a, b) => a - b)];
        const mb = `${(size / 1e6).toFixed(1)} MB block`;
        for (const p of [50, 90]) {
          const before = figure(`proposal logged with its ${mb}, p${p}`, percentile(withBlock, p), 'ms');
          figures.push(figure(`proposal logged before it is sent, ${mb}: without the block, p${p}`, percentile(without, p), 'ms', before));
        }
      }
      return figures;
    });
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
