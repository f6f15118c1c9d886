import { InvalidArgumentError, type Command } from 'commander';

/** The options of a command that reads a member's API: which member, or the local network's. */
export function memberOptions(command: Command): Command {
  return command
    .option('--member <url>', 'member API URL (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output');
}

/**
 * memberOptions, and a genesis file whose listed members' API addresses a command that only reads
 * reaches when it has neither --member nor a local network (memberClientFrom).
 */
export function readOptions(command: Command): Command {
  return memberOptions(command).option('--genesis <file>', "genesis file listing the members' API addresses (default: $STRONGBOX_GENESIS_FILE); only read without --member and a local network");
}

/** memberOptions, and the genesis file a command signs for or checks against. */
export function networkOptions(command: Command): Command {
  return memberOptions(command).option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)');
}

/** How long a command waits for its transaction to be final, from the last time it sent it, unless --wait says otherwise. */
export const DEFAULT_WAIT_SECONDS = 30;
/** A longer wait is a network to look at (`strongbox status`), not a command to leave running: `strongbox tx` checks later. */
const MAX_WAIT_SECONDS = 86_400;

/** --wait's seconds: a whole number, 0 (do not wait) to a day. */
export function parseWaitSeconds(value: string): number {
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value) || Number(value) > MAX_WAIT_SECONDS) {
    throw new InvalidArgumentError(`It takes whole seconds, 0 to ${MAX_WAIT_SECONDS} (a day); 0 does not wait for finality`);
  }
  return Number(value);
}

/** networkOptions, and how long a command that submits a transaction waits for it to be final. */
export function submitOptions(command: Command): Command {
  return networkOptions(command).option(
    '--wait <seconds>',
    'how long to wait for the transaction to be final, counted from the last time it was sent; 0: print its id once a member has taken it, without waiting',
    parseWaitSeconds,
    DEFAULT_WAIT_SECONDS,
  );
}
