import { Faucet } from '../../regtest/faucet.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { MemberClient } from '../api/client.ts';
import type { NetworkFile } from './network-file.ts';

/** What a new local network's operations wallet gets from the faucet: anchor fees for a long while. */
export const LOCAL_OPS_WALLET_SATS = 10_000_000n;

/**
 * Funds the operations wallet of a new local network from the faucet, as its operators would with
 * `strongbox anchor fund`, so anchors appear without a manual step. The payment confirms with the
 * blocks the demo peg-in mines next. Returns the wallet's address.
 */
export async function fundLocalOpsWallet(network: NetworkFile, onProgress: (step: string) => void): Promise<string> {
  const { address } = await new MemberClient(network.members[0]!.apiUrl).opsWallet();
  onProgress('funding the operations wallet that pays for anchors');
  await new Faucet(new BitcoinRpc(network.bitcoinRpcUrl)).fund(address, LOCAL_OPS_WALLET_SATS);
  return address;
}
