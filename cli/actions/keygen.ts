import { generateMemberKeys, publicKeysOf, writeKeyFile } from '../../federation/key-file.ts';
import { printResult } from '../output.ts';

export function keygen(options: { out: string; json?: boolean }): void {
  const keys = generateMemberKeys();
  writeKeyFile(options.out, keys);
  const publicKeys = publicKeysOf(keys);
  printResult(
    options,
    `wrote ${options.out}\nblock public key: ${publicKeys.blockPublicKey}\npeg public key:   ${publicKeys.pegPublicKey}`,
    { file: options.out, ...publicKeys },
  );
}
