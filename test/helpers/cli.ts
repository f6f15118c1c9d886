import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `strongbox` command as a user would, in its own process; `input` is piped to its standard input. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/**
 * Starts the `strongbox` command in its own process and resolves once its stderr shows `shown`,
 * for a test that signals it while it waits; `result` ends with the process.
 */
export async function startCli(args: string[], shown: RegExp, options: { env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildProcess; stderr: () => string; result: Promise<CliResult> }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env } });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, ...output })));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
      if (shown.test(output.stderr)) resolve();
    });
    void result.then((ended) => reject(new Error(`strongbox ${args.join(' ')} ended before showing ${shown}: ${ended.stderr}`)));
  });
  return { child, stderr: () => output.stderr, result };
}
