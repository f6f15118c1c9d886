import type { CliResult } from './cli.ts';
import { withEnvironment } from './environment.ts';

type Write = typeof process.stdout.write;

/**
 * Runs one `strongbox` command line in this process, through the same `runStrongbox` the
 * process entry point calls, with its own working directory, environment and captured output.
 * Starting a process costs seconds next to five members, so this is what lets the CLI be fuzzed
 * by the thousands; one command line at a time, since the directory and the streams are the
 * process's own.
 */
export async function runCliInProcess(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CliResult> {
  const output = { stdout: '', stderr: '' };
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const writes = { stdout: streams.stdout.write, stderr: streams.stderr.write };
  const savedCwd = process.cwd();
  for (const name of ['stdout', 'stderr'] as const) {
    streams[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as Write;
  }
  process.chdir(options.cwd);
  try {
    // The CLI as the process entry point loads it, by import(). Mocha requires test files, which
    // makes what they import statically CommonJS copies of our modules; a command's action,
    // imported when it runs, would then throw errors of another copy of the error classes than the
    // one the CLI's error line knows, and each would read as an internal error.
    const code = await withEnvironment(options.env, async () => {
      const { runStrongbox } = await import('../../cli/program.ts');
      return runStrongbox(args);
    });
    return { code, ...output };
  } finally {
    process.chdir(savedCwd);
    streams.stdout.write = writes.stdout;
    streams.stderr.write = writes.stderr;
  }
}
