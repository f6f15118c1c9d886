import { fund, mine } from '../../regtest/faucet.ts';
import { newRegtestAddress } from '../../regtest/new-address.ts';
import { startRegtestNode } from '../../regtest/node.ts';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { bitcoinRpcFrom, type RpcOptions } from '../bitcoin-node.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { parseRegtestAddress } from '../command-arguments.ts';

const MAX_BTC_SATS = 21_000_000n * 100_000_000n;
const MAX_PORT = 65_535;

export async function regtestFund(address: string, btc: string, options: RpcOptions): Promise<void> {
  const to = parseRegtestAddress(address);
  const sats = btcToSats(btc);
  // Every other command counts sats; a count of sats here would be more BTC than will ever exist.
  if (sats > MAX_BTC_SATS) throw new ValidationError('bad-amount', `regtest fund takes BTC, not sats: ${btc} BTC is more than the 21,000,000 there will ever be`);
  const txid = await fund(bitcoinRpcFrom(options), to, sats);
  printResult(options, `sent ${satsToBtc(sats)} BTC to ${to} in ${txid} (mine a block to confirm it)`, { txid, address: to, amountSats: sats });
}

export async function regtestMine(n: string, options: RpcOptions & { to?: string }): Promise<void> {
  if (!/^\d+$/.test(n)) throw new ValidationError('bad-count', `number of blocks must be a whole number, got ${JSON.stringify(n)}`);
  const to = options.to === undefined ? undefined : parseRegtestAddress(options.to);
  const rpc = bitcoinRpcFrom(options);
  const hashes = await mine(rpc, Number(n), to);
  const height = await rpc.getBlockCount();
  printResult(options, `mined ${plural(hashes.length, 'block')}; tip is now at height ${height}`, { blocks: hashes, height });
}

export async function regtestNode(options: { chainDir: string; port?: string; password?: string }): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !(/^\d+$/.test(options.port!) && port >= 1 && port <= MAX_PORT)) throw new ValidationError('bad-port', `--port must be a port number from 1 to ${MAX_PORT}, got ${JSON.stringify(options.port)}`);
  const node = await startRegtestNode({ dataDir: options.chainDir, ...(port === undefined ? {} : { port }), ...(options.password === undefined ? {} : { password: options.password }) });
  process.stdout.write(`regtest node at ${node.rpcUrl}, height ${await node.rpc.getBlockCount()}; Ctrl-C stops it\n`);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await node.stop();
}

export function regtestAddress(options: { json?: boolean }): void {
  const fresh = newRegtestAddress();
  printResult(options, fresh.address, fresh);
}
