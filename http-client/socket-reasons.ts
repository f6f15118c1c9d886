/** A failed connection's code in words a person can act on; Node's own codes say little to most. */
const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EHOSTUNREACH: 'no route to host',
  ECONNRESET: 'connection reset',
  // An https:// URL for a server that speaks plain HTTP, as the local network's do.
  ERR_SSL_WRONG_VERSION_NUMBER: 'it answers plain HTTP, not TLS: use http://',
};

/** The reason a connection failed with `code`, in words where they are known, else the code itself. */
export function socketReason(code: string): string {
  return SOCKET_REASONS[code] ?? code;
}
