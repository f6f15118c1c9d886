import { ConfigError } from '../../sidechain/errors.ts';
import { probeListen } from '../../regtest/free-port.ts';

const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'permission denied',
};

/** A listener that could not bind, as the setting the operator has to change. */
export function listenRefusal(field: 'api' | 'peer', endpoint: { host: string; port: number }, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && BIND_ERRORS[code]) ?? (error instanceof Error ? error.message : String(error));
  return new ConfigError(`${field}.port`, `cannot listen on ${endpoint.host}:${endpoint.port}: ${reason}`);
}

/**
 * Checks, before a member opens its database or dials anyone, that its API and peer endpoints can
 * be bound, so that a port taken by another program stops start-up with one clear line.
 */
export async function assertCanListen(field: 'api' | 'peer', endpoint: { host: string; port: number }): Promise<void> {
  try {
    await probeListen(endpoint.host, endpoint.port);
  } catch (error) {
    throw listenRefusal(field, endpoint, error);
  }
}
