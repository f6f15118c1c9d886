import { expect } from 'chai';
import { ValidationError } from '../../sidechain/errors.ts';

/** Asserts that `action` is refused with a ValidationError of `code` (and a message matching `message`). */
export function expectCode(action: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(ValidationError);
  expect((caught as ValidationError).code, (caught as Error).message).to.equal(code);
  if (message) expect((caught as Error).message).to.match(message);
}
