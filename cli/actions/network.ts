import { resolve } from 'node:path';
import { genesisPath, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { MAX_MEMBERS, type GenesisFile } from '../../sidechain/genesis.ts';
import { printResult } from '../output.ts';

export function networkInit(options: { dir: string; members: string; threshold?: string; bitcoinNetwork: string; json?: boolean }): void {
  if (!/^\d+$/.test(options.members) || Number(options.members) < 1 || Number(options.members) > MAX_MEMBERS) {
    throw new ValidationError('bad-number', `--members must be a whole number from 1 to ${MAX_MEMBERS}`);
  }
  if (options.threshold !== undefined && !/^\d+$/.test(options.threshold)) throw new ValidationError('bad-number', '--threshold must be a whole number');
  if (!['regtest', 'testnet', 'mainnet'].includes(options.bitcoinNetwork)) throw new ValidationError('bad-network', '--bitcoin-network must be regtest, testnet or mainnet');
  const dir = resolve(options.dir);
  const genesis = runLocalCeremony({
    dir,
    members: Number(options.members),
    threshold: options.threshold === undefined ? undefined : Number(options.threshold),
    bitcoinNetwork: options.bitcoinNetwork as GenesisFile['bitcoinNetwork'],
  });
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  printResult(options, `genesis ${genesisPath(dir)}\nchain id ${chainId}`, { genesisFile: genesisPath(dir), chainId });
}
