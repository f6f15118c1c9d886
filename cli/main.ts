import { Command } from 'commander';
import { StrongboxError } from '../sidechain/errors.ts';
import { keygenCommand } from './commands/keygen.ts';
import { memberCommand } from './commands/member.ts';
import { regtestCommand } from './commands/regtest.ts';
import { upCommand } from './commands/up.ts';
import { sendCommand, walletCommand } from './commands/wallet.ts';
import { issueCommand } from './commands/issue.ts';
import { genesisCommand } from './commands/genesis.ts';
import { networkCommand } from './commands/network.ts';
import { peginAddressCommand, peginCommand } from './commands/pegin.ts';
import { auditCommand } from './commands/audit.ts';

const program = new Command('strongbox')
  .description('Strongbox: a federated, Bitcoin-pegged and Bitcoin-anchored securities depository')
  .showHelpAfterError()
  .addCommand(upCommand())
  .addCommand(memberCommand())
  .addCommand(keygenCommand())
  .addCommand(genesisCommand())
  .addCommand(networkCommand())
  .addCommand(walletCommand())
  .addCommand(sendCommand())
  .addCommand(issueCommand())
  .addCommand(peginAddressCommand())
  .addCommand(peginCommand())
  .addCommand(auditCommand())
  .addCommand(regtestCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // One clear line and a non-zero exit: 1 for a refusal the user can act on, 2 for a bug.
  if (error instanceof StrongboxError) {
    console.error(`strongbox: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(`strongbox: internal error: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 2;
  }
}
