import { BitcoinRpc } from '../watcher/rpc.ts';
import { defaultDataDir, readNetworkFile } from '../federation/local-network/network-file.ts';
import { localNetworkDown } from './member-url.ts';

export interface RpcOptions {
  rpc?: string;
  dataDir?: string;
  json?: boolean;
  /** The command's option naming the node, for the refusal when neither it nor a local network is there. */
  flag?: string;
}

/**
 * The Bitcoin node: --rpc, then $STRONGBOX_BITCOIN_RPC_URL, then the local network's file, whose
 * node runs inside `strongbox up`: one that does not answer is most likely a network not started.
 */
export function bitcoinRpcFrom(options: RpcOptions): BitcoinRpc {
  const given = options.rpc ?? process.env.STRONGBOX_BITCOIN_RPC_URL;
  if (given) return new BitcoinRpc(given);
  const local = options.dataDir ?? defaultDataDir();
  return new BitcoinRpc(readNetworkFile(local, `name the Bitcoin node with ${options.flag ?? '--rpc'}`).bitcoinRpcUrl, { whenUnreachable: localNetworkDown(local) });
}
