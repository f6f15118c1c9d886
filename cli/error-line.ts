import { Command, CommanderError } from 'commander';
import { StrongboxError } from '../sidechain/errors.ts';
import { printable } from '../sidechain/printable.ts';
import { fileErrorReason } from '../federation/file-error-reason.ts';
import { NOT_FINAL_EXIT_CODE, NotFinalError } from './not-final-error.ts';

/**
 * Commander reports its own errors (unknown option, missing argument) itself, with the help text
 * after them; here they are thrown instead, so that every error the CLI reports goes through
 * `errorLine` and is one line.
 */
export function throwParseErrors(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  for (const subcommand of command.commands) throwParseErrors(subcommand);
}

/**
 * Commander's message without its `error: ` prefix, its suggestion joined to the line it puts it
 * below (`unknown command 'sned'` and `(Did you mean send?)`), before the line is made one.
 */
function commanderMessage(message: string): string {
  return message.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)');
}

/**
 * The one place that maps an error to what the user sees: one line on stderr and an exit code,
 * 1 for a refusal the user can act on (bad input, a file that cannot be read or written, a
 * member that refused), 2 for a bug, 3 for a transaction submitted that the command stopped
 * waiting for before it was final. `null` line: nothing to print (help was shown).
 */
export function errorLine(error: unknown): { line: string | null; exitCode: number } {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return { line: null, exitCode: 0 };
    // A command group called without its subcommand: commander would print the group's help.
    if (error.code === 'commander.help') return { line: 'strongbox: a command is missing (see --help for the commands)', exitCode: 1 };
    return { line: `strongbox: ${printable(commanderMessage(error.message))} (see --help)`, exitCode: 1 };
  }
  if (error instanceof StrongboxError) return { line: `strongbox: ${printable(error.message)}`, exitCode: error instanceof NotFinalError ? NOT_FINAL_EXIT_CODE : 1 };
  const { syscall, path } = (error ?? {}) as NodeJS.ErrnoException;
  const reason = fileErrorReason(error);
  if (reason !== undefined && typeof syscall === 'string' && typeof path === 'string') {
    return { line: `strongbox: cannot ${syscall} ${printable(path)}: ${reason}`, exitCode: 1 };
  }
  return { line: `strongbox: internal error: ${error instanceof Error ? error.stack : String(error)}`, exitCode: 2 };
}
