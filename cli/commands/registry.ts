import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { networkOptions } from '../command-options.ts';

/** A view of one asset is opened by a credential, or by its issuer signing the request (--file). */
function assetViewCommand(name: string, description: string, example: string): Command {
  return networkOptions(new Command(name))
    .description(`${description}: with a credential, or as its issuer (--file)`)
    .requiredOption('--asset <asset>', 'the security (asset id, hex)')
    .option('--credential <token>', 'auditor or regulator credential (default: $STRONGBOX_CREDENTIAL)')
    .option('--file <file>', "the issuer's wallet: sign the request with the issuer key instead")
    .addHelpText('after', `\nExamples:\n  strongbox registry ${name} --asset 5c1f…${example} --credential sbx_…\n  strongbox registry ${name} --asset 5c1f… --file issuer.wallet.json`);
}

export function registryCommand(): Command {
  const registry = new Command('registry').description('read-only registry views for auditors, regulators and issuers');
  registry.addCommand(
    assetViewCommand('holders', 'holders of a security after a block', ' --height 42')
      .option('--height <height>', 'the block (default: the tip)')
      .action(lazyAction(() => import('../actions/registry.ts'), 'showHolders')),
  );
  registry.addCommand(
    assetViewCommand('allowlist', "the addresses a restricted security may be delivered to, after the tip", '')
      .action(lazyAction(() => import('../actions/registry.ts'), 'showAllowlist')),
  );
  registry.addCommand(
    networkOptions(new Command('history'))
      .description("every change of an address's security holdings")
      .requiredOption('--address <address>', 'the sbx address')
      .option('--credential <token>', 'auditor or regulator credential (default: $STRONGBOX_CREDENTIAL)')
      .addHelpText('after', '\nExample:\n  strongbox registry history --address sbx1… --credential sbx_…')
      .action(lazyAction(() => import('../actions/registry.ts'), 'showHistory')),
  );
  return registry;
}
