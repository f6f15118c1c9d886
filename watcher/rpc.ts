import { Block, Transaction } from 'bitcoinjs-lib';
import { btcToSats } from './btc-amount.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { RpcCallError } from './errors.ts';
import { JsonRpcHttp } from './json-rpc-http.ts';

/** Where a node's JSON-RPC listens, and the credentials it wants. */
export interface RpcEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** Reads `http://user:pass@host:port`; the password may be percent-encoded. */
export function parseRpcUrl(url: string): RpcEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL itself may hold a password, so it is not repeated in the message.
    throw new ValidationError('bad-rpc-url', 'the Bitcoin RPC URL is not a valid URL (expected http://user:password@host:port)');
  }
  if (parsed.protocol !== 'http:') throw new ValidationError('bad-rpc-url', `the Bitcoin RPC URL must start with http://, not ${parsed.protocol}//`);
  const port = Number(parsed.port || '80');
  return {
    host: parsed.hostname,
    port,
    ...(parsed.username ? { username: decodeCredential(parsed.username, 'user name') } : {}),
    ...(parsed.password ? { password: decodeCredential(parsed.password, 'password') } : {}),
  };
}

function decodeCredential(encoded: string, what: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ValidationError('bad-rpc-url', `the Bitcoin RPC URL's ${what} is not valid percent-encoding`);
  }
}

export interface BlockchainInfo {
  chain: string;
  blocks: number;
  /** The most-work headers known; above `blocks` while the node still downloads blocks. */
  headers: number;
  /** bitcoind says whether it catches up with the network; bcoin says nothing (undefined). */
  initialBlockDownload: boolean | undefined;
  bestBlockHash: string;
}

export interface TxOut {
  confirmations: number;
  valueSats: bigint;
  scriptPubKeyHex: string;
  coinbase: boolean;
}

/**
 * The Bitcoin JSON-RPC subset Strongbox relies on, typed, and identical against bcoin and
 * bitcoind: only calls both answer the same way (raw blocks are parsed here, never verbose JSON).
 */
export class BitcoinRpc {
  private readonly transport: JsonRpcHttp;
  /** The URL without its password: the only form that may appear in messages and logs. */
  readonly displayUrl: string;

  /** `whenUnreachable`: what to do when no connection to the node can be made, said after the reason. */
  constructor(endpoint: string | RpcEndpoint, options: { timeoutMs?: number; whenUnreachable?: string } = {}) {
    this.transport = new JsonRpcHttp(typeof endpoint === 'string' ? parseRpcUrl(endpoint) : endpoint, {
      timeoutMs: options.timeoutMs ?? 30_000,
      whenUnreachable: options.whenUnreachable,
    });
    this.displayUrl = this.transport.displayUrl;
  }

  async call<T>(method: string, ...parameters: unknown[]): Promise<T> {
    return (await this.transport.call(method, parameters)) as T;
  }

  /** `method` once per parameter list, in one request (a JSON-RPC batch); throws the first call's error, as `call` would. */
  async batch<T>(method: string, parameterLists: unknown[][]): Promise<T[]> {
    return (await this.transport.batch(method, parameterLists)) as T[];
  }

  /** `signal` ends the wait at once, failing it with the signal's reason: a process asked to stop while it waits on a silent node. */
  async getBlockchainInfo(signal?: AbortSignal): Promise<BlockchainInfo> {
    type Answer = { chain: string; blocks: number; headers?: number; initialblockdownload?: boolean; bestblockhash: string };
    const info = (await this.transport.call('getblockchaininfo', [], signal)) as Answer;
    return { chain: info.chain, blocks: info.blocks, headers: info.headers ?? info.blocks, initialBlockDownload: info.initialblockdownload, bestBlockHash: info.bestblockhash };
  }

  /** The height each connected peer said it had when it connected (its version message): unchecked, the peer's word. */
  async getPeerStartingHeights(): Promise<number[]> {
    const peers = await this.call<{ startingheight?: unknown }[]>('getpeerinfo');
    return peers.flatMap(({ startingheight }) => (typeof startingheight === 'number' && startingheight >= 0 ? [startingheight] : []));
  }

  /** The time the miner wrote into block `hash`'s header, in Unix milliseconds (its raw header: bcoin and bitcoind agree on it). */
  async getBlockTimeMs(hash: string): Promise<bigint> {
    return BigInt(Block.fromHex(await this.call<string>('getblockheader', hash, false)).timestamp) * 1000n;
  }

  getBestBlockHash(): Promise<string> {
    return this.call<string>('getbestblockhash');
  }

  getBlockCount(): Promise<number> {
    return this.call<number>('getblockcount');
  }

  getBlockHash(height: number): Promise<string> {
    return this.call<string>('getblockhash', height);
  }

  async getBlock(hash: string): Promise<Block> {
    return Block.fromHex(await this.call<string>('getblock', hash, 0));
  }

  /**
   * The best chain's blocks at heights `from` to `to`, in two requests whatever their number:
   * the hashes, then the blocks by hash (so each block is the one its hash names, even if the
   * chain changes between the two). Callers keep ranges short: a block is up to 8 MB of hex.
   */
  async getBlocks(from: number, to: number): Promise<{ height: number; hash: string; block: Block }[]> {
    const heights = Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);
    if (heights.length === 0) return [];
    const hashes = await this.batch<string>('getblockhash', heights.map((height) => [height]));
    const blocks = await this.batch<string>('getblock', hashes.map((hash) => [hash, 0]));
    return heights.map((height, index) => {
      const block = Block.fromHex(blocks[index]!);
      if (block.getId() !== hashes[index]) throw new RpcCallError(this.displayUrl, 'getblock', -32700, `asked for block ${hashes[index]}, received ${block.getId()}`);
      return { height, hash: hashes[index]!, block };
    });
  }

  async getRawTransaction(txid: string): Promise<Transaction> {
    return Transaction.fromHex(await this.call<string>('getrawtransaction', txid, false));
  }

  /**
   * How many blocks confirm `txid` (0 while in the mempool), or null when the node does not know
   * it (never sent, evicted, or dropped with a reorged block). Needs a transaction index on
   * bitcoind (-txindex); bcoin's embedded node keeps one.
   */
  async getTransactionConfirmations(txid: string): Promise<number | null> {
    const answer = await this.verboseTransaction(txid);
    return answer && (answer.confirmations ?? 0);
  }

  /**
   * The transaction and its confirmations as getTransactionConfirmations counts them, from one
   * call where getRawTransaction and getTransactionConfirmations take two: a proposer checks each
   * mint it puts in its block this way while the round waits for its proposal.
   */
  async getTransactionAndConfirmations(txid: string): Promise<{ tx: Transaction; confirmations: number; blockHash: string | null } | null> {
    const answer = await this.verboseTransaction(txid);
    // bcoin says a null block hash for a transaction in its mempool, bitcoind none.
    return answer && { tx: Transaction.fromHex(answer.hex), confirmations: answer.confirmations ?? 0, blockHash: answer.blockhash ?? null };
  }

  /** getrawtransaction's verbose answer (bcoin and bitcoind both give the raw hex in it), or null for a transaction the node does not know. */
  private async verboseTransaction(txid: string): Promise<{ hex: string; confirmations?: number; blockhash?: string | null } | null> {
    try {
      return await this.call<{ hex: string; confirmations?: number; blockhash?: string | null }>('getrawtransaction', txid, true);
    } catch (error) {
      if (isTransactionNotFound(error)) return null;
      throw error;
    }
  }

  /**
   * Broadcasts and returns the txid once the node holds the transaction. bcoin answers
   * sendrawtransaction before its mempool has accepted (or silently rejected) the transaction, so
   * acceptance is confirmed by asking for it back; bitcoind has it at once.
   */
  async sendRawTransaction(hex: string, options: { acceptTimeoutMs?: number } = {}): Promise<string> {
    const txid = await this.call<string>('sendrawtransaction', hex);
    const deadline = Date.now() + (options.acceptTimeoutMs ?? 5_000);
    while ((await this.getTransactionConfirmations(txid)) === null) {
      if (Date.now() > deadline) {
        throw new RpcCallError(this.displayUrl, 'sendrawtransaction', -26, `transaction ${txid} was not accepted into the mempool`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return txid;
  }

  getRawMempool(): Promise<string[]> {
    return this.call<string[]>('getrawmempool');
  }

  /**
   * The unspent output, or null when it is spent or never existed. With `includeMempool`,
   * bitcoind also answers null for an output a mempool transaction spends; bcoin does not, so
   * callers that must not double-spend read the mempool themselves (see regtest/faucet-coins.ts).
   */
  async getTxOut(txid: string, vout: number, includeMempool = true): Promise<TxOut | null> {
    const out = await this.call<{
      confirmations: number;
      value: number | string;
      scriptPubKey: { hex: string };
      coinbase: boolean;
    } | null>('gettxout', txid, vout, includeMempool);
    if (!out) return null;
    return { confirmations: out.confirmations, valueSats: btcToSats(out.value), scriptPubKeyHex: out.scriptPubKey.hex, coinbase: out.coinbase };
  }

  /** Fee rate in sat/vB for confirmation within `target` blocks, or null when the node has no estimate. */
  async estimateSmartFee(target: number): Promise<bigint | null> {
    const estimate = await this.call<{ feerate?: number | string; errors?: string[] }>('estimatesmartfee', target);
    if (estimate.feerate === undefined || Number(estimate.feerate) <= 0) return null;
    // feerate is BTC per kvB; sat/vB = sats per kvB / 1000, rounded up so we never underpay.
    const satsPerKvB = btcToSats(estimate.feerate);
    return (satsPerKvB + 999n) / 1000n;
  }

  generateToAddress(blocks: number, address: string): Promise<string[]> {
    return this.call<string[]>('generatetoaddress', blocks, address);
  }

  invalidateBlock(hash: string): Promise<void> {
    return this.call<void>('invalidateblock', hash);
  }
}

/** bitcoind answers an unknown txid with -5; bcoin with -1 "Transaction not found." */
function isTransactionNotFound(error: unknown): boolean {
  if (!(error instanceof RpcCallError)) return false;
  return error.rpcCode === -5 || (error.rpcCode === -1 && /not found/i.test(error.message));
}
