import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { eventually, type TestNetwork } from './local-network.ts';

/** The pegged BTC `address` holds as each member sees it, in member order. */
export function peggedBtcOnEveryMember(net: TestNetwork, address: string): Promise<bigint[]> {
  return Promise.all(net.clients.map(async (client) => (await client.balances(address)).find((b) => b.asset === BTC_ASSET_KEY)?.amount ?? 0n));
}

/**
 * Pegged BTC the real way: each address's deposit address is registered with every member, the
 * regtest faucet pays it, blocks are mined past the confirmation depth, and the call returns once
 * every member shows the minted balance.
 */
export async function pegIn(net: TestNetwork, payments: { address: string; sats: bigint }[]): Promise<void> {
  const faucet = new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl));
  const btc = (address: string) => peggedBtcOnEveryMember(net, address);
  const before = await Promise.all(payments.map(({ address }) => btc(address)));
  for (const { address, sats } of payments) {
    const deposits = await Promise.all(net.clients.map((client) => client.registerDepositAddress(address)));
    await faucet.fund(deposits[0]!, sats);
  }
  await faucet.mine(net.genesis.file.pegin.confirmations);
  await eventually(
    'the deposits minted on every member',
    async () => {
      const balances = await Promise.all(payments.map(({ address }) => btc(address)));
      return balances.every((perMember, i) => perMember.every((balance, m) => balance === before[i]![m]! + payments[i]!.sats - BigInt(net.genesis.file.pegin.feeSats)));
    },
    60_000,
  );
}
