import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { errorLine, throwParseErrors } from './error-line.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { stderrLines } from './stderr-line.ts';
import { keygenCommand } from './commands/keygen.ts';
import { memberCommand } from './commands/member.ts';
import { regtestCommand } from './commands/regtest.ts';
import { upCommand } from './commands/up.ts';
import { sendCommand, walletCommand } from './commands/wallet.ts';
import { issueCommand } from './commands/issue.ts';
import { reissueCommand } from './commands/reissue.ts';
import { allowlistCommand } from './commands/allowlist.ts';
import { dvpCommand } from './commands/dvp.ts';
import { dividendCommand } from './commands/dividend.ts';
import { roleCommand } from './commands/role.ts';
import { registryCommand } from './commands/registry.ts';
import { genesisCommand } from './commands/genesis.ts';
import { networkCommand } from './commands/network.ts';
import { infoCommand } from './commands/info.ts';
import { statusCommand } from './commands/status.ts';
import { txCommand } from './commands/tx.ts';
import { peginAddressCommand, peginCommand } from './commands/pegin.ts';
import { pegoutCommand } from './commands/pegout.ts';
import { proofCommand, verifyProofCommand } from './commands/proof.ts';
import { verifyBlockCommand } from './commands/verify-block.ts';
import { auditCommand } from './commands/audit.ts';
import { anchorCommand, anchorsCommand } from './commands/anchors.ts';

/** The release, as package.json names it: what an operator compares across members. */
function releaseVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The `strongbox` command with every subcommand; a new one per run, since commander keeps parsed values. */
export function strongboxProgram(): Command {
  const program = new Command('strongbox')
    .description('Strongbox: a federated, Bitcoin-pegged and Bitcoin-anchored securities depository')
    .version(releaseVersion(), '-V, --version', 'print the release and exit')
    .addCommand(upCommand())
    .addCommand(memberCommand())
    .addCommand(keygenCommand())
    .addCommand(genesisCommand())
    .addCommand(networkCommand())
    .addCommand(infoCommand())
    .addCommand(statusCommand())
    .addCommand(txCommand())
    .addCommand(walletCommand())
    .addCommand(sendCommand())
    .addCommand(issueCommand())
    .addCommand(reissueCommand())
    .addCommand(allowlistCommand())
    .addCommand(dvpCommand())
    .addCommand(dividendCommand())
    .addCommand(roleCommand())
    .addCommand(registryCommand())
    .addCommand(peginAddressCommand())
    .addCommand(peginCommand())
    .addCommand(pegoutCommand())
    .addCommand(proofCommand())
    .addCommand(verifyProofCommand())
    .addCommand(verifyBlockCommand())
    .addCommand(auditCommand())
    .addCommand(anchorsCommand())
    .addCommand(anchorCommand())
    .addCommand(regtestCommand());
  throwParseErrors(program);
  return program;
}

/**
 * A process never receives a NUL byte in its arguments (the kernel ends each one there), but a
 * caller in the same process can pass one; every path, name and amount would then be refused
 * somewhere deep inside a command, possibly after it changed something.
 */
function refuseNulBytes(args: readonly string[]): void {
  const position = args.findIndex((arg) => arg.includes('\0'));
  if (position >= 0) throw new ValidationError('bad-argument', `argument ${position + 1} must not contain a NUL byte`);
}

/**
 * Runs one command line (the arguments after `strongbox`) and returns its exit code: 0, 1 with
 * one line on stderr for a refusal, 2 for a bug. The process entry point and the in-process
 * fuzzing of the arguments both run commands through here.
 */
export async function runStrongbox(args: readonly string[]): Promise<number> {
  try {
    refuseNulBytes(args);
    await strongboxProgram().parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    const { line, exitCode } = errorLine(error);
    // A progress line still shown (a wait a refusal ended) ends first: the error starts a line of its own.
    stderrLines.end();
    if (line !== null) console.error(line);
    return exitCode;
  }
}
