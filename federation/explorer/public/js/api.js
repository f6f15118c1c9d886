// The member's public API, read from the same origin that served the page.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The member has no such route (an older member, or a feature not built yet). */
export class RouteMissing extends ApiError {}

export async function get(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  const code = body?.error?.code ?? 'http-error';
  const message = body?.error?.message ?? `HTTP ${response.status} for ${path}`;
  if (response.status === 404 && message.startsWith('no route')) throw new RouteMissing(404, code, message);
  throw new ApiError(response.status, code, message);
}

/** Like `get`, but a resource that does not exist (404) is `null` instead of an error. */
export async function find(path) {
  try {
    return await get(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && !(error instanceof RouteMissing)) return null;
    throw error;
  }
}

/** `?limit=…&cursor=…` for the paged list routes. */
export function pageQuery(limit, cursor) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set('cursor', cursor);
  return `?${query}`;
}
