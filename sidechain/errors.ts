/**
 * Every error Strongbox raises on purpose is a StrongboxError with a stable machine-readable
 * `code` and a message meant for a person. The API and the CLI map them to HTTP statuses and exit
 * codes in one place each; anything else reaching them is a bug and is reported as such.
 */
export class StrongboxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input (a transaction, a block, a request, an argument) broke a rule; nothing was changed. */
export class ValidationError extends StrongboxError {}

/** A setting is missing or wrong; names the field and the reason. */
export class ConfigError extends StrongboxError {
  constructor(field: string, reason: string) {
    super('config', `${field}: ${reason}`);
  }
}
