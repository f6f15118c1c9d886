import * as bitcoin from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { ECPairFactory } from 'ecpair';
import { taggedHash } from '../sidechain/hash.ts';
import { ValidationError } from '../sidechain/errors.ts';
import type { BitcoinRpc } from '../watcher/rpc.ts';
import { bitcoinAddressScript } from '../watcher/bitcoin-address.ts';
import { satsToBtc } from '../watcher/btc-amount.ts';
import { ConfirmationTimeoutError } from './errors.ts';
import { RpcCallError } from '../watcher/errors.ts';
import { CoinFinder, type Coin } from './faucet-coins.ts';

bitcoin.initEccLib(ecc);
const ECPair = ECPairFactory(ecc);
const network = bitcoin.networks.regtest;

/**
 * The faucet's key is derived from a public constant: on regtest coins are worthless, and a fixed
 * key lets every process (the node's host, the CLI, tests) spend the same mined coins.
 */
const faucetKey = ECPair.fromPrivateKey(Buffer.from(taggedHash('Strongbox/regtest-faucet')), { network });
const faucetPayment = bitcoin.payments.p2wpkh({ pubkey: Buffer.from(faucetKey.publicKey), network });
export const FAUCET_ADDRESS = faucetPayment.address!;
const FAUCET_SCRIPT = faucetPayment.output!;

const FEE_RATE_SAT_PER_VB = 2n;
/** RPC_VERIFY_REJECTED and RPC_VERIFY_ALREADY_IN_CHAIN: what a node answers a payment whose coin another one spent. */
const CONFLICT_CODES = new Set([-26, -25, -27]);
const CONFLICT_ATTEMPTS = 5;
const DUST_LIMIT = 546n;

/**
 * Pays regtest coins to any address from blocks mined to the faucet key. Any number of processes
 * may hold a Faucet for the same node: coins are found and re-checked over RPC before each
 * payment, and a payment the node refuses because another faucet spent its coin first is built
 * again from the coins left, so none is spent twice and neither payment is lost.
 */
export class Faucet {
  private readonly coins: CoinFinder;
  /** Payments run one at a time, or two concurrent ones would pick the same coin. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly rpc: BitcoinRpc) {
    this.coins = new CoinFinder(rpc, FAUCET_SCRIPT);
  }

  async mine(blocks: number, address: string = FAUCET_ADDRESS): Promise<string[]> {
    if (!Number.isInteger(blocks) || blocks < 1 || blocks > 10_000) throw new ValidationError('bad-count', `blocks to mine must be 1..10000, got ${blocks}`);
    return this.rpc.generateToAddress(blocks, address);
  }

  /** Sends `amountSats` to `address` and returns the txid (unconfirmed until a block is mined). */
  fund(address: string, amountSats: bigint): Promise<string> {
    const payment = this.queue.then(() => this.payRacingOthers(address, amountSats));
    this.queue = payment.catch(() => undefined);
    return payment;
  }

  /**
   * Another faucet (another process, or another instance here) may pick the same coin between
   * this one's reading of the mempool and its broadcast; the node then refuses the later payment
   * as a conflict, and the next attempt reads the mempool again, where the other payment now is.
   */
  private async payRacingOthers(address: string, amountSats: bigint): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pay(address, amountSats);
      } catch (error) {
        if (!(error instanceof RpcCallError && CONFLICT_CODES.has(error.rpcCode)) || attempt === CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  private async pay(address: string, amountSats: bigint): Promise<string> {
    const outputScript = bitcoinAddressScript(address, network, 'regtest', 'bad-address');
    if (amountSats < DUST_LIMIT) throw new ValidationError('bad-amount', `amount ${amountSats} sats is below the dust limit ${DUST_LIMIT}`);
    const selected: Coin[] = [];
    let total = 0n;
    for await (const coin of this.coins.spendable()) {
      selected.push(coin);
      total += coin.value;
      if (total >= amountSats + feeFor(selected.length)) break;
    }
    const fee = feeFor(selected.length);
    if (total < amountSats + fee) {
      this.coins.putBack(selected);
      throw new ValidationError(
        'faucet-empty',
        `the faucet can spend ${satsToBtc(total)} BTC, not the ${satsToBtc(amountSats)} BTC asked and its fee: ask for less, or mine more to it (\`strongbox regtest mine 101\`: a block's reward can be spent 100 blocks later)`,
      );
    }
    const psbt = new bitcoin.Psbt({ network });
    for (const coin of selected) {
      psbt.addInput({ hash: coin.txid, index: coin.vout, witnessUtxo: { script: FAUCET_SCRIPT, value: coin.value } });
    }
    psbt.addOutput({ script: outputScript, value: amountSats });
    const change = total - amountSats - fee;
    if (change >= DUST_LIMIT) psbt.addOutput({ script: FAUCET_SCRIPT, value: change });
    psbt.signAllInputs(faucetKey).finalizeAllInputs();
    let txid: string;
    try {
      txid = await this.rpc.sendRawTransaction(psbt.extractTransaction().toHex());
    } catch (error) {
      this.coins.putBack(selected);
      throw error;
    }
    if (change >= DUST_LIMIT) this.coins.add({ txid, vout: 1, value: change, height: null, coinbase: false });
    return txid;
  }
}

/**
 * P2WPKH inputs are 68 vB each; overhead (11 vB), the largest standard payment output (P2WSH or
 * P2TR, 43 vB) and the P2WPKH change (31 vB) stay under 90 vB.
 */
function feeFor(inputs: number): bigint {
  return (BigInt(inputs) * 68n + 90n) * FEE_RATE_SAT_PER_VB;
}

/** Resolves once `txid` has at least `confirmations` confirmations; mines nothing itself. */
export async function waitForConfirmations(rpc: BitcoinRpc, txid: string, confirmations: number, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await rpc.getTransactionConfirmations(txid);
    if (seen !== null && seen >= confirmations) return seen;
    if (Date.now() > deadline) {
      const state = seen === null ? 'is unknown to the node' : `has ${seen}`;
      throw new ConfirmationTimeoutError(`transaction ${txid} ${state}, not ${confirmations} confirmations, after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

// One faucet per RPC client, so that every caller shares the same view of spent coins.
const faucets = new WeakMap<BitcoinRpc, Faucet>();

export function faucetFor(rpc: BitcoinRpc): Faucet {
  let faucet = faucets.get(rpc);
  if (!faucet) faucets.set(rpc, (faucet = new Faucet(rpc)));
  return faucet;
}

/** Mines `blocks` blocks to `address` (the faucet by default) and returns their hashes. */
export function mine(rpc: BitcoinRpc, blocks: number, address?: string): Promise<string[]> {
  return faucetFor(rpc).mine(blocks, address);
}

/** Pays `amountSats` from the faucet to `address`; returns the txid (in the mempool). */
export function fund(rpc: BitcoinRpc, address: string, amountSats: bigint): Promise<string> {
  return faucetFor(rpc).fund(address, amountSats);
}
