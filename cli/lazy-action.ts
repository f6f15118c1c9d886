type Action = (...args: never[]) => unknown;

/**
 * A command's action, loaded from its module only when that command runs. Every start of the
 * CLI reads all command definitions (for --help and for parse errors), but what a command does
 * pulls in its own dependencies (Bitcoin libraries, Postgres, the member client): loaded with the
 * definitions, every command line and every member process paid for all of them. An error while
 * loading rejects the action, so it reaches the user as every other error of the command does.
 */
export function lazyAction<Module extends Record<Name, Action>, Name extends string>(load: () => Promise<Module>, name: Name): (...args: Parameters<Module[Name]>) => Promise<void> {
  return async (...args) => {
    const module = await load();
    await module[name](...args);
  };
}
