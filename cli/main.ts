import { runStrongbox } from './program.ts';

// A reader that stops reading (`strongbox … --help | head`) is not a failure of the command: end
// quietly, as other command-line tools do, rather than with an unhandled EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await runStrongbox(process.argv.slice(2));
