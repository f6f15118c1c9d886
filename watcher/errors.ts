import { StrongboxError } from '../sidechain/errors.ts';

/** The Bitcoin node could not be asked, or refused: messages name the node, never its password. */
export class RpcError extends StrongboxError {}

export class RpcUnreachableError extends RpcError {
  /** `hint`: what the one who named the node can do about it, where that is known. */
  constructor(url: string, reason: string, hint?: string) {
    super('rpc-unreachable', `Bitcoin node at ${url} is unreachable (${reason})${hint ? `: ${hint}` : ''}`);
  }
}

export class RpcAuthError extends RpcError {
  constructor(url: string) {
    super('rpc-auth', `Bitcoin node at ${url} refused the RPC credentials (wrong user or password)`);
  }
}

/**
 * The node cannot be asked now: it does not answer, or refuses the credentials. An outage of the
 * one asking's own node, not a fault of what was asked.
 */
export function isNodeUnavailable(error: unknown): error is RpcUnreachableError | RpcAuthError {
  return error instanceof RpcUnreachableError || error instanceof RpcAuthError;
}

export class RpcMethodError extends RpcError {
  constructor(url: string, method: string) {
    super('rpc-method', `Bitcoin node at ${url} does not support the RPC method ${method}`);
  }
}

/** The node answered the call with a JSON-RPC error. */
export class RpcCallError extends RpcError {
  constructor(
    url: string,
    method: string,
    readonly rpcCode: number,
    message: string,
  ) {
    super('rpc-call', `Bitcoin node at ${url}: ${method} failed (${rpcCode}): ${message}`);
  }
}
