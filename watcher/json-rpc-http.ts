import { createRequire } from 'node:module';
import { RpcAuthError, RpcCallError, RpcError, RpcMethodError, RpcUnreachableError } from './errors.ts';
import { socketReason } from '../http-client/socket-reasons.ts';
import { HttpConnectionError, KeptAliveHttp, type HttpAnswer } from '../http-client/kept-alive-http.ts';
import type { RpcEndpoint } from './rpc.ts';

const require = createRequire(import.meta.url);
/**
 * A number of more than 15 characters stays its text, so an amount the node writes reaches
 * btcToSats digit for digit whatever its size, where JSON.parse would round it to a double.
 */
const { parse: parseExactJson } = (require('json-bigint') as (options: { storeAsString: boolean; strict: boolean }) => { parse(text: string): unknown })({
  storeAsString: true,
  strict: true,
});

/**
 * One keep-alive pool for every client in the process: a member asks its node every 200 ms, and
 * a connection per call would cost both sides more than the call. As in Node's global agent (the
 * one the `bitcoin-core` client used), an idle connection is closed after 5 s, or 1 s before the
 * node's Keep-Alive header says the node closes it (bcoin's: 5 s); bitcoind sends no such header.
 */
const rpcHttp = new KeptAliveHttp(5_000);

/** One call's answer as JSON-RPC 1.0 gives it (bitcoind and bcoin both write `result` and `error`). */
interface JsonRpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message?: unknown } | null;
}

/**
 * Bitcoin JSON-RPC over node:http keep-alive, every failure an RpcError naming the node (never its
 * password). A call costs less than half the CPU it did through the `bitcoin-core` client (see
 * docs/DECISIONS.md).
 */
export class JsonRpcHttp {
  /** The URL without its password: the only form that may appear in messages and logs. */
  readonly displayUrl: string;
  private readonly authorization: string | undefined;
  private readonly url: URL;

  /** `whenUnreachable`: what to do when no connection to the node can be made, said after the reason. */
  constructor(
    endpoint: RpcEndpoint,
    private readonly options: { timeoutMs: number; whenUnreachable?: string | undefined },
  ) {
    this.displayUrl = `http://${endpoint.host}:${endpoint.port}`;
    this.url = new URL(`${this.displayUrl}/`);
    const { username, password } = endpoint;
    this.authorization = username || password ? `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}` : undefined;
  }

  /** `signal` ends the call at once, failing it with the signal's reason: the caller stopped waiting, the node is not at fault. */
  async call(method: string, parameters: unknown[], signal?: AbortSignal): Promise<unknown> {
    const answer = await this.post({ jsonrpc: '1.0', id: 0, method, params: parameters }, signal);
    if (isRefused(answer) || !isJsonRpcAnswer(answer.body)) throw this.notAnAnswer(method, answer);
    return this.resultOf(method, answer.body);
  }

  /** `method` once per parameter list, in one request (a JSON-RPC batch); throws the first call's error, as `call` would. */
  async batch(method: string, parameterLists: unknown[][]): Promise<unknown[]> {
    const answer = await this.post(parameterLists.map((params, id) => ({ jsonrpc: '1.0', id, method, params })));
    if (isRefused(answer) || !Array.isArray(answer.body) || !answer.body.every(isJsonRpcAnswer)) throw this.notAnAnswer(method, answer);
    // A server may answer a batch's calls in any order: each answer is matched to its call by id.
    const byId = new Map((answer.body as JsonRpcAnswer[]).map((each) => [each.id, each]));
    const answers = parameterLists.map((_, id) => byId.get(id));
    if (answer.body.length !== parameterLists.length || answers.includes(undefined)) {
      throw new RpcCallError(this.displayUrl, method, -32700, `a batch of ${parameterLists.length} calls got ${answer.body.length} answers`);
    }
    return answers.map((each) => this.resultOf(method, each!));
  }

  private resultOf(method: string, answer: JsonRpcAnswer): unknown {
    if (!answer.error) return answer.result;
    const { code, message } = answer.error;
    const text = typeof message === 'string' ? message : 'no message';
    if (code === -32601 || /method not found/i.test(text)) throw new RpcMethodError(this.displayUrl, method);
    throw new RpcCallError(this.displayUrl, method, code, text);
  }

  /** An HTTP answer that holds no JSON-RPC answer: refused credentials, another kind of server, or an HTTP error. */
  private notAnAnswer(method: string, { status, statusMessage }: HttpAnswer): RpcError {
    if (isRefused({ status })) return new RpcAuthError(this.displayUrl);
    // Bitcoin nodes answer every RPC at "/" with JSON-RPC: a 404 there, or a success that is not
    // JSON-RPC, is another kind of server (a member's API, say).
    if (status === 404 || (status >= 200 && status < 300)) {
      return new RpcUnreachableError(this.displayUrl, "it answers HTTP, but not as a Bitcoin node: is that a Bitcoin node's RPC address?");
    }
    return new RpcCallError(this.displayUrl, method, status, statusMessage);
  }

  private async post(payload: unknown, signal?: AbortSignal): Promise<HttpAnswer & { body: unknown }> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.authorization ? { authorization: this.authorization } : {}) };
    try {
      // The timeout counts silence on the socket, not the whole call: a large block keeps arriving.
      const answer = await rpcHttp.exchange(this.url, { method: 'POST', headers, body, signal, silenceMs: this.options.timeoutMs, retryStaleConnection: true });
      return { ...answer, body: parseOrUndefined(answer.text) };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.unreachable(error as Error);
    }
  }

  private unreachable(error: Error): RpcUnreachableError {
    const reason = error instanceof HttpConnectionError && error.code !== undefined ? socketReason(error.code) : error.message;
    return new RpcUnreachableError(this.displayUrl, reason, this.options.whenUnreachable);
  }
}

/** Not JSON: not a JSON-RPC answer, which notAnAnswer explains from the HTTP status. */
function parseOrUndefined(text: string): unknown {
  try {
    return parseExactJson(text);
  } catch {
    return undefined;
  }
}

function isRefused({ status }: { status: number }): boolean {
  return status === 401 || status === 403;
}

function isJsonRpcAnswer(body: unknown): body is JsonRpcAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { error } = body as JsonRpcAnswer;
  if (error === undefined || error === null) return 'result' in body;
  return typeof error === 'object' && typeof (error as { code?: unknown }).code === 'number';
}
