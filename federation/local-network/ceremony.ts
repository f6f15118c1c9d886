import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { checkCeremonyMemberCount } from '../transport/options.ts';
import { readGenesisFile } from '../genesis-file.ts';
import { dirname, join } from 'node:path';
import { generateMemberKeys, publicKeysOf, readKeyFile, writeKeyFile } from '../key-file.ts';
import { createGenesisFile, parseGenesis, type Genesis, type GenesisFile } from '../../sidechain/genesis.ts';
import { checkPegoutMinimum } from '../pegout-minimum.ts';

export interface CeremonyOptions {
  dir: string;
  members: number;
  threshold?: number;
  bitcoinNetwork: GenesisFile['bitcoinNetwork'];
  network?: string;
}

export function memberDir(dir: string, index: number): string {
  return join(dir, `member-${index}`);
}

export function genesisPath(dir: string): string {
  return join(dir, 'genesis.json');
}

/**
 * The genesis ceremony for a network whose members all live on this machine: a key file per
 * member (kept if present) and one genesis file from their public keys. Idempotent: a second run
 * returns the existing genesis, so a restarted network is the same chain.
 */
export function runLocalCeremony(options: CeremonyOptions): Genesis {
  const path = genesisPath(options.dir);
  if (existsSync(path)) return readGenesisFile(path);
  // Every key is read or made, and the genesis checked, before anything is written: a ceremony
  // that is refused (too many members, a threshold out of range) leaves the folder as it was.
  const seats = Array.from({ length: options.members }, (_, index) => {
    const keyFile = join(memberDir(options.dir, index), 'key.json');
    const existing = existsSync(keyFile);
    return { keyFile, existing, keys: existing ? readKeyFile(keyFile) : generateMemberKeys() };
  });
  const members = seats.map(({ keys }, index) => {
    const { blockPublicKey, pegPublicKey } = publicKeysOf(keys);
    return { name: `member-${index}`, blockKey: blockPublicKey, pegKey: pegPublicKey };
  });
  const file = createGenesisFile({
    network: options.network ?? `local-${options.bitcoinNetwork}`,
    bitcoinNetwork: options.bitcoinNetwork,
    members,
    threshold: options.threshold,
    genesisTimeMs: BigInt(Date.now()),
  });
  const genesis = parseGenesis(file);
  checkCeremonyMemberCount(genesis.members.keys.length);
  checkPegoutMinimum(genesis);
  for (const { keyFile, existing, keys } of seats) {
    if (existing) continue;
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    writeKeyFile(keyFile, keys);
  }
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  return genesis;
}
