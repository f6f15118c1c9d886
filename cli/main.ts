import { Command } from 'commander';

const program = new Command('strongbox')
  .description('Strongbox: a federated, Bitcoin-pegged and Bitcoin-anchored securities depository')
  .showHelpAfterError();

await program.parseAsync(process.argv);
