import { Writable } from 'node:stream';
import { createLogger } from '../../federation/observability/logger.ts';

/** A real logger whose JSON lines are kept in `lines`, parsed, for a test to read what an operator would. */
export function capturedLog(): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ name: 'test', destination }) };
}
