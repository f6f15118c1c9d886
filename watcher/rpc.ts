import { createRequire } from 'node:module';
import { Block, Transaction } from 'bitcoinjs-lib';
import { btcToSats } from './btc-amount.ts';
import { RpcAuthError, RpcCallError, RpcError, RpcMethodError, RpcUnreachableError } from './errors.ts';

const require = createRequire(import.meta.url);
const BitcoinCoreClient = require('bitcoin-core') as new (options: {
  host: string;
  username?: string;
  password?: string;
  timeout?: number;
}) => { command(method: string, ...parameters: unknown[]): Promise<unknown> };

export interface BlockchainInfo {
  chain: string;
  blocks: number;
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
  private readonly client;
  /** The URL without its password: the only form that may appear in messages and logs. */
  readonly displayUrl: string;

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    const parsed = new URL(url);
    const username = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    this.displayUrl = `${parsed.protocol}//${parsed.host}`;
    this.client = new BitcoinCoreClient({
      host: this.displayUrl,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      timeout: options.timeoutMs ?? 30_000,
    });
  }

  async call<T>(method: string, ...parameters: unknown[]): Promise<T> {
    try {
      return (await this.client.command(method, ...parameters)) as T;
    } catch (error) {
      throw this.translate(method, error);
    }
  }

  private translate(method: string, error: unknown): RpcError {
    const { code, message } = error as { code?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : String(error);
    if (typeof code === 'string') return new RpcUnreachableError(this.displayUrl, code === 'ECONNREFUSED' ? 'connection refused' : code);
    if (code === 401 || code === 403) return new RpcAuthError(this.displayUrl);
    if (code === -32601 || /method not found/i.test(text)) return new RpcMethodError(this.displayUrl, method);
    if (typeof code === 'number') return new RpcCallError(this.displayUrl, method, code, text);
    return new RpcUnreachableError(this.displayUrl, text);
  }

  async getBlockchainInfo(): Promise<BlockchainInfo> {
    const info = await this.call<{ chain: string; blocks: number; bestblockhash: string }>('getblockchaininfo');
    return { chain: info.chain, blocks: info.blocks, bestBlockHash: info.bestblockhash };
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

  async getRawTransaction(txid: string): Promise<Transaction> {
    return Transaction.fromHex(await this.call<string>('getrawtransaction', txid, false));
  }

  /**
   * Broadcasts and returns the txid once the node holds the transaction. bcoin answers
   * sendrawtransaction before its mempool has accepted (or silently rejected) the transaction, so
   * acceptance is confirmed by asking for it back; bitcoind has it at once.
   */
  async sendRawTransaction(hex: string, options: { acceptTimeoutMs?: number } = {}): Promise<string> {
    const txid = await this.call<string>('sendrawtransaction', hex);
    const deadline = Date.now() + (options.acceptTimeoutMs ?? 5_000);
    for (;;) {
      try {
        await this.call<string>('getrawtransaction', txid, false);
        return txid;
      } catch (error) {
        if (!(error instanceof RpcCallError)) throw error;
      }
      if (Date.now() > deadline) {
        throw new RpcCallError(this.displayUrl, 'sendrawtransaction', -26, `transaction ${txid} was not accepted into the mempool`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  getRawMempool(): Promise<string[]> {
    return this.call<string[]>('getrawmempool');
  }

  /** The unspent output, or null when it is spent or never existed. */
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
