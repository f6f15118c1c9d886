import { runStrongbox } from './program.ts';

process.exitCode = await runStrongbox(process.argv.slice(2));
