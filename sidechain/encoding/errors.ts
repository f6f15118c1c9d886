import { ValidationError } from '../errors.ts';

/** Bytes that are not the one canonical encoding of an object: truncated, trailing, non-minimal. */
export class DecodeError extends ValidationError {
  constructor(what: string, reason: string) {
    super('decode', `cannot decode ${what}: ${reason}`);
  }
}
