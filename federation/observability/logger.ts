import { pino, type Logger } from 'pino';
import { StrongboxError } from '../../sidechain/errors.ts';

export type { Logger };

// Field names that may hold secrets are censored wherever they appear, so a careless log call
// cannot leak a key or a password into a log file.
const SECRET_PATHS = ['*.password', '*.seed', '*.blockSeed', '*.pegPrivateKey', '*.privateKey', '*.apiKey', '*.token', '*.authorization', 'password', 'seed', 'privateKey', 'authorization'];

export function createLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: SECRET_PATHS, censor: '[secret]' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? process.stdout,
  );
}

/** Drops every URL's password before it reaches a log line or an error message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

/**
 * The fields that tell why something was refused or failed. A typed error of the project's own is
 * an expected outcome (a rule broken, a burn held, a node out of reach) that its code and message
 * say in full; anything else is a bug, which needs its stack.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof StrongboxError ? { code: error.code, reason: error.message } : { err: error };
}
