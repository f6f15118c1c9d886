import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function verifyBlockCommand(): Command {
  return new Command('verify-block')
    .description('check a final block offline against the genesis file: at least k member signatures over its header, and the transactions its header commits to')
    .argument('<file>', 'a block with its certificate, as a member serves it at GET /chain/blocks/<height>')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  curl -s http://10.0.0.5:8100/chain/blocks/20 > block-20.json\n  strongbox verify-block block-20.json --genesis genesis.json')
    .action(lazyAction(() => import('../actions/verify-block.ts'), 'verifyBlock'));
}
