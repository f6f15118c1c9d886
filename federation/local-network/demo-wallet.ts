import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { MemberClient } from '../api/client.ts';
import { createWalletFile, readWalletFile } from '../wallet/wallet-file.ts';
import type { NetworkFile } from './network-file.ts';

/** What a new local network pegs in for its demo wallet: 1 regtest BTC. */
export const DEMO_PEGIN_SATS = 100_000_000n;
const MINT_WAIT_MS = 60_000;

export interface DemoWallet {
  file: string;
  address: string;
  /** Pegged BTC the wallet holds now, in satoshis. */
  balanceSats: bigint;
  /** The Bitcoin deposit made for it by this start; absent when the wallet already existed. */
  depositTxid?: string;
}

export const demoWalletFile = (dataDir: string) => join(dataDir, 'demo-wallet.json');

const pegged = async (client: MemberClient, address: string) => (await client.balances(address)).find((balance) => balance.asset === BTC_ASSET_KEY)?.amount ?? 0n;

/**
 * A wallet with pegged BTC to try the network with, the way a user gets one: its deposit
 * address registered with every member, regtest coins sent there from the faucet, mined to the
 * confirmation depth, and minted by the federation. A network that already has one keeps it.
 */
export async function ensureDemoWallet(dataDir: string, network: NetworkFile, confirmations: number, onProgress: (step: string) => void): Promise<DemoWallet> {
  const file = demoWalletFile(dataDir);
  const clients = network.members.map((member) => new MemberClient(member.apiUrl));
  if (existsSync(file)) {
    const { address } = readWalletFile(file);
    return { file, address, balanceSats: await pegged(clients[0]!, address) };
  }
  const { address } = createWalletFile(file);
  onProgress('pegging 1 BTC into a demo wallet');
  const depositAddresses = new Set(await Promise.all(clients.map((client) => client.registerDepositAddress(address))));
  if (depositAddresses.size !== 1) throw new StrongboxError('pegin-mismatch', `members derived different deposit addresses for ${address}`);
  const faucet = new Faucet(new BitcoinRpc(network.bitcoinRpcUrl));
  const depositTxid = await faucet.fund([...depositAddresses][0]!, DEMO_PEGIN_SATS);
  await faucet.mine(confirmations);
  const deadline = Date.now() + MINT_WAIT_MS;
  let balanceSats = 0n;
  while (balanceSats === 0n && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    balanceSats = await pegged(clients[0]!, address);
  }
  return { file, address, balanceSats, depositTxid };
}
