import { writeFileSync } from 'node:fs';
import { ValidationError } from '../sidechain/errors.ts';
import { fileErrorReason } from './file-error-reason.ts';

/**
 * The refusal of a file a person named that cannot be written, in words and the same whatever
 * writes it: `cannot write <path>: <reason>` (Node's own error names its system call, `open`).
 */
export function writeRefusal(path: string, reason: string): ValidationError {
  return new ValidationError('bad-output', `cannot write ${path}: ${reason}`);
}

/** writeRefusal for a failed file operation; `exists` is the reason given for a file already there, which the caller may say more of. */
export function cannotWrite(path: string, error: unknown, exists = 'it already exists'): ValidationError {
  return writeRefusal(path, (error as NodeJS.ErrnoException).code === 'EEXIST' ? exists : (fileErrorReason(error) ?? (error as Error).message));
}

/**
 * Writes a file a person named (an `--out`, a new wallet's or key's `--file`), never over one
 * that exists unless `replace`; one that cannot be written is refused by `cannotWrite`.
 */
export function writeNewFile(path: string, text: string, options: { mode?: number; replace?: boolean; exists?: string } = {}): void {
  try {
    writeFileSync(path, text, { flag: options.replace ? 'w' : 'wx', ...(options.mode === undefined ? {} : { mode: options.mode }) });
  } catch (error) {
    throw cannotWrite(path, error, options.exists);
  }
}
