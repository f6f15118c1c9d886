import { BitcoinRpc } from '../watcher/rpc.ts';
import { defaultDataDir, readNetworkFile } from '../federation/local-network/network-file.ts';

export interface RpcOptions {
  rpc?: string;
  dataDir?: string;
  json?: boolean;
  /** The command's option naming the node, for the refusal when neither it nor a local network is there. */
  flag?: string;
}

/** The Bitcoin node: --rpc, then $STRONGBOX_BITCOIN_RPC_URL, then the local network's file. */
export function bitcoinRpcFrom(options: RpcOptions): BitcoinRpc {
  const url = options.rpc ?? process.env.STRONGBOX_BITCOIN_RPC_URL ?? readNetworkFile(options.dataDir ?? defaultDataDir(), `name the Bitcoin node with ${options.flag ?? '--rpc'}`).bitcoinRpcUrl;
  return new BitcoinRpc(url);
}
