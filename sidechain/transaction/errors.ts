import { ValidationError } from '../errors.ts';

/** A transaction breaks a rule that needs no ledger state: its shape, amounts or signatures. */
export class TransactionError extends ValidationError {}
