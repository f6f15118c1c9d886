import { networks, payments } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { buildPegout } from '../../federation/wallet/build-transfer.ts';
import type { MemberClient } from '../../federation/api/client.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { pegIn } from './pegged-btc.ts';
import { eventually, type TestNetwork } from './local-network.ts';
import { testWallet, type TestWallet } from './transactions.ts';

const ECPair = ECPairFactory(ecc);

/** A fresh regtest P2WPKH destination: its script, and the address a user would type. */
export function bitcoinDestination(): { address: string; script: Uint8Array } {
  const payment = payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest });
  return { address: payment.address!, script: new Uint8Array(payment.output!) };
}

/** Wallets holding pegged BTC, each from its own deposit, pegged in together while the network is healthy. */
export async function fundedWallets(net: TestNetwork, count: number, sats: bigint): Promise<TestWallet[]> {
  const wallets = Array.from({ length: count }, () => testWallet());
  await pegIn(net, wallets.map((wallet) => ({ address: wallet.address, sats })));
  return wallets;
}

/** The wallet's unspent outputs, read from any member that answers. */
export async function utxosOf(net: TestNetwork, wallet: TestWallet): Promise<Awaited<ReturnType<MemberClient['utxos']>>> {
  let attempt = 0;
  // A member may be down or without its database for a moment: ask the next one.
  return eventually(`the coins of ${wallet.address}`, () => net.clients[attempt++ % net.clients.length]!.utxos(wallet.address), 60_000);
}

/** A burn of `amount` from the wallet's pegged BTC to a fresh Bitcoin destination. */
export async function burnFrom(net: TestNetwork, wallet: TestWallet, amount: bigint): Promise<{ tx: Transaction; destination: Uint8Array }> {
  const coins = (await utxosOf(net, wallet)).filter((coin) => coin.asset === BTC_ASSET_KEY);
  const { script } = bitcoinDestination();
  return { tx: buildPegout(net.genesis.chainId, wallet, coins, script, amount), destination: script };
}

/** Registers a deposit address for each wallet on every member; returns them in order. */
export async function depositAddresses(net: TestNetwork, wallets: readonly TestWallet[]): Promise<string[]> {
  const addresses: string[] = [];
  for (const wallet of wallets) addresses.push((await Promise.all(net.clients.map((client) => client.registerDepositAddress(wallet.address))))[0]!);
  return addresses;
}

export function bitcoinOf(net: TestNetwork): { rpc: BitcoinRpc; faucet: Faucet } {
  const rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
  return { rpc, faucet: new Faucet(rpc) };
}
