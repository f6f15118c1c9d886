import { Command } from 'commander';
import { generateMemberKeys, publicKeysOf, writeKeyFile } from '../../federation/key-file.ts';
import { printResult } from '../output.ts';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description("create a federation member's keys: an Ed25519 block key and a secp256k1 peg key")
    .requiredOption('--out <file>', 'where to write the key file (created with mode 0600, never overwritten)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox keygen --out member1.key.json')
    .action((options: { out: string; json?: boolean }) => {
      const keys = generateMemberKeys();
      writeKeyFile(options.out, keys);
      const publicKeys = publicKeysOf(keys);
      printResult(
        options,
        `wrote ${options.out}\nblock public key: ${publicKeys.blockPublicKey}\npeg public key:   ${publicKeys.pegPublicKey}`,
        { file: options.out, ...publicKeys },
      );
    });
}
