import { ConfigError, ValidationError } from '../sidechain/errors.ts';
import { parseGenesis, type Genesis } from '../sidechain/genesis.ts';
import { readJsonFile } from './json-file.ts';

/** Reads and validates a genesis file; `field` names the setting that pointed at it. */
export function readGenesisFile(path: string, field = 'genesisFile'): Genesis {
  const json = readJsonFile(path, (reason) => new ConfigError(field, reason));
  // The two files of the ceremony are easily swapped; the schema alone would only miss the network.
  if (typeof json === 'object' && json !== null && 'blockSeed' in json) throw new ConfigError(field, `${path} is a member key file, not a genesis file: give the chain's genesis.json here and the key file as the key (--key, keyFile)`);
  try {
    return parseGenesis(json);
  } catch (error) {
    if (error instanceof ValidationError) throw new ConfigError(field, `${path} is not a valid genesis file (${error.message})`);
    throw error;
  }
}
