import { ConfigError } from '../../sidechain/errors.ts';
import { probeListen } from '../../regtest/free-port.ts';

const ADDRESS_IN_USE = 'the address is already in use';
// The port is not moved to a free one: the other members' configs name it, so a member elsewhere
// would be out of their reach. The operator frees it, or moves it with the federation's consent.
const PORT_HELD = `${ADDRESS_IN_USE} by another process (this member already running?): stop it and start the member again; the other members' peers lists name this port, so move it only together with theirs`;
const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: PORT_HELD,
  EADDRNOTAVAIL: 'this machine has no such address',
  EACCES: 'permission denied',
  ENOTFOUND: 'no such host name',
};
const LISTEN_STEPS = new Set(['listen', 'bind', 'getaddrinfo']);
/** Refusals that are the host's doing, not the port's: the operator fixes api.host or peer.host. */
const HOST_ERRORS = new Set(['EADDRNOTAVAIL', 'ENOTFOUND']);

/**
 * A listener that could not bind, as the setting the operator has to change; any other error
 * (a bad key, a bug) is returned as it is.
 */
export function listenFailure(field: 'api' | 'peer', endpoint: { host: string; port: number }, error: unknown): unknown {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || typeof syscall !== 'string' || !LISTEN_STEPS.has(syscall)) return error;
  return new ConfigError(`${field}.${HOST_ERRORS.has(code) ? 'host' : 'port'}`, `cannot listen on ${endpoint.host}:${endpoint.port}: ${BIND_ERRORS[code] ?? code}`);
}

/** Whether a member's refusal (its last log line, after `strongbox: `) says another program holds its API or peer port. */
export function isPortTaken(refusal: string): boolean {
  return /^(api|peer)\.port: cannot listen on /.test(refusal) && refusal.endsWith(`: ${PORT_HELD}`);
}

/**
 * Checks, before a member opens its database or dials anyone, that its API and peer endpoints can
 * be bound, so that a port taken by another program stops start-up with one clear line.
 */
export async function assertCanListen(field: 'api' | 'peer', endpoint: { host: string; port: number }): Promise<void> {
  try {
    await probeListen(endpoint.host, endpoint.port);
  } catch (error) {
    throw listenFailure(field, endpoint, error);
  }
}
