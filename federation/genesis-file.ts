import { readFileSync } from 'node:fs';
import { ConfigError } from '../sidechain/errors.ts';
import { parseGenesis, type Genesis } from '../sidechain/genesis.ts';

/** Reads and validates a genesis file; `field` names the setting that pointed at it. */
export function readGenesisFile(path: string, field = 'genesisFile'): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConfigError(field, `cannot read ${path} as JSON`);
  }
  return parseGenesis(json);
}
