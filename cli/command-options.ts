import type { Command } from 'commander';

/** The options of a command that reads a member's API: which member, or the local network's. */
export function memberOptions(command: Command): Command {
  return command
    .option('--member <url>', 'member API URL (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

/** memberOptions, and the genesis file a command signs for or checks against. */
export function networkOptions(command: Command): Command {
  return memberOptions(command).option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)');
}
