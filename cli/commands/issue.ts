import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { MAX_DECIMALS, SECURITY_KINDS } from '../../sidechain/asset.ts';
import { submitOptions } from '../command-options.ts';

export function issueCommand(): Command {
  const command = new Command('issue')
    .description("issue a security; the wallet's key becomes its issuer key and receives the supply")
    .requiredOption('--name <name>', 'security name')
    .requiredOption('--isin <isin>', 'ISIN (check digit verified)')
    .option('--kind <kind>', `one of ${SECURITY_KINDS.join(', ')}`, 'share')
    .option('--decimals <n>', `decimal places, 0..${MAX_DECIMALS}`, '0')
    .requiredOption('--supply <units>', 'amount issued, in base units')
    .option('--restricted', 'only allowlisted holders may receive it')
    .option('--reissuable', 'the issuer may issue more later')
    .option('--duplicate-isin', 'register the security even though another one on this chain carries the same ISIN')
    .option('--file <file>', 'issuer wallet file', 'wallet.json');
  return submitOptions(command)
    .addHelpText('after', '\nExample:\n  strongbox issue --name "Acme AB" --isin SE0000108656 --kind share --supply 1000000 --file issuer.wallet.json')
    .action(lazyAction(() => import('../actions/issue.ts'), 'issue'));
}
