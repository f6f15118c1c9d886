import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { submitOptions } from '../command-options.ts';

function allowlistAction(action: 'add' | 'remove'): Command {
  const command = submitOptions(new Command(action))
    .description(action === 'add' ? 'admit addresses as holders of a restricted security' : 'stop addresses from receiving a restricted security (what they hold they can still sell to allowlisted holders)')
    .argument('<address...>', 'sbx addresses')
    .requiredOption('--asset <asset>', 'the asset id (hex)')
    .option('--file <file>', 'issuer wallet file', 'wallet.json');
  if (action === 'remove') command.option('--include-issuer', "remove the issuer's own address too, knowing it can then receive none of the security");
  return command
    .addHelpText('after', `\nExample:\n  strongbox allowlist ${action} --asset 5c1f… sbx1… sbx1… --file issuer.wallet.json`)
    .action(lazyAction(() => import('../actions/allowlist.ts'), action === 'add' ? 'addToAllowlist' : 'removeFromAllowlist'));
}

export function allowlistCommand(): Command {
  return new Command('allowlist')
    .description("maintain a restricted security's allowlist of holders; signed by its issuer key (the wallet)")
    .addCommand(allowlistAction('add'))
    .addCommand(allowlistAction('remove'));
}
