import { readFileSync } from 'node:fs';
import { fileErrorReason } from './file-error-reason.ts';

/**
 * Reads a JSON document a person pointed at; `refuse` turns the reason (a file that cannot be
 * read, or is not JSON) into the caller's own typed error, naming its setting or argument.
 */
export function readJsonFile(path: string, refuse: (reason: string) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw refuse(`cannot read ${path}: ${fileErrorReason(error) ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw refuse(`${path} is not JSON`);
  }
}
