import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description("create a federation member's keys: an Ed25519 block key and a secp256k1 peg key")
    .requiredOption('--out <file>', 'where to write the key file (created with mode 0600, never overwritten)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox keygen --out member1.key.json')
    .action(lazyAction(() => import('../actions/keygen.ts'), 'keygen'));
}
