import { readFileSync } from 'node:fs';
import { ConfigError, ValidationError } from '../sidechain/errors.ts';
import { parseGenesis, type Genesis } from '../sidechain/genesis.ts';
import { fileErrorReason } from './file-error-reason.ts';

/** Reads and validates a genesis file; `field` names the setting that pointed at it. */
export function readGenesisFile(path: string, field = 'genesisFile'): Genesis {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read ${path}: ${fileErrorReason(error) ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(field, `${path} is not JSON, so not a genesis file`);
  }
  try {
    return parseGenesis(json);
  } catch (error) {
    if (error instanceof ValidationError) throw new ConfigError(field, `${path} is not a valid genesis file (${error.message})`);
    throw error;
  }
}
