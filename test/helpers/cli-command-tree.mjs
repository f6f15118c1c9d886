// Loaded with `node --import` before the CLI: instead of running a command, the CLI prints its
// command tree (names, options, arguments) as JSON, so tests can generate arguments for every
// command it has, including commands added later.
import { Command } from 'commander';

function describe(command) {
  return {
    name: command.name(),
    options: command.options.map((option) => ({ long: option.long, takesValue: Boolean(option.required || option.optional), mandatory: Boolean(option.mandatory) })),
    args: command.registeredArguments.map((argument) => ({ name: argument.name(), required: argument.required, variadic: argument.variadic })),
    commands: command.commands.map(describe),
  };
}

Command.prototype.parseAsync = async function dumpTree() {
  process.stdout.write(JSON.stringify(describe(this)));
  process.exit(0);
};
