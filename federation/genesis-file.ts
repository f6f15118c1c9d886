import { ConfigError, ValidationError } from '../sidechain/errors.ts';
import { parseGenesis, type Genesis } from '../sidechain/genesis.ts';
import { readJsonFile } from './json-file.ts';

/** Reads and validates a genesis file; `field` names the setting that pointed at it. */
export function readGenesisFile(path: string, field = 'genesisFile'): Genesis {
  const json = readJsonFile(path, (reason) => new ConfigError(field, reason));
  try {
    return parseGenesis(json);
  } catch (error) {
    if (error instanceof ValidationError) throw new ConfigError(field, `${path} is not a valid genesis file (${error.message})`);
    throw error;
  }
}
