import { ValidationError } from '../errors.ts';

/** A transaction breaks a rule against the ledger state (missing input, double mint, ...). */
export class LedgerError extends ValidationError {}
