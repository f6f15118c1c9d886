import { fund, mine } from '../../regtest/faucet.ts';
import { newRegtestAddress } from '../../regtest/new-address.ts';
import { startRegtestNode } from '../../regtest/node.ts';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { nodeFollows } from '../../watcher/networks.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { bitcoinRpcFrom, type RpcOptions } from '../bitcoin-node.ts';
import { printResult } from '../output.ts';
import { plural } from '../../federation/words.ts';
import { parseRegtestAddress } from '../command-arguments.ts';
import { exitBeforeTeardown } from '../exit-before-teardown.ts';

const MAX_BTC_SATS = 21_000_000n * 100_000_000n;
const MAX_PORT = 65_535;
/** The faucet mines at most 10,000 blocks a call, and a reorg mines one more than it replaces. */
const MAX_REORG_DEPTH = 9_999;

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

/**
 * A Bitcoin reorg `depth` blocks deep, for drills: the lowest block to replace is invalidated,
 * which takes it and every block above it off the chain, and `depth + 1` blocks are mined in their
 * place, so the new branch is longer than the old one was, as a real reorg's is.
 */
export async function regtestReorg(depth: string, options: RpcOptions): Promise<void> {
  if (!/^[1-9][0-9]{0,3}$/.test(depth)) throw new ValidationError('bad-count', `the depth must be a whole number of blocks from 1 to ${MAX_REORG_DEPTH}, got ${JSON.stringify(depth)}`);
  const replaced = Number(depth);
  const rpc = bitcoinRpcFrom(options);
  const { chain, blocks: height, bestBlockHash } = await rpc.getBlockchainInfo();
  // invalidateblock on the operator's own node of a real network would take it off that chain.
  if (!nodeFollows(chain, 'regtest')) throw new ValidationError('not-regtest', `the Bitcoin node at ${rpc.displayUrl} follows ${chain}, not regtest: regtest reorg rewrites only a regtest chain`);
  if (replaced > Math.min(height, MAX_REORG_DEPTH)) throw new ValidationError('bad-count', `the node's chain has ${plural(height, 'block')} above its genesis: a reorg replaces 1 to ${Math.min(height, MAX_REORG_DEPTH)} of them, not ${replaced}`);
  const invalidated = await rpc.getBlockHash(height - replaced + 1);
  await rpc.invalidateBlock(invalidated);
  const blocks = await mine(rpc, replaced + 1);
  const tip = { height: await rpc.getBlockCount(), hash: await rpc.getBestBlockHash() };
  const oldTip = { height, hash: bestBlockHash };
  printResult(
    options,
    `replaced ${plural(replaced, 'block')} from height ${height - replaced + 1} with ${plural(blocks.length, 'new block')}\nold tip ${oldTip.hash} at height ${oldTip.height}\nnew tip ${tip.hash} at height ${tip.height}`,
    { depth: replaced, invalidated, oldTip, newTip: tip, blocks },
  );
}

export async function regtestNode(options: { chainDir: string; port?: string; password?: string }): Promise<void> {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !(/^\d+$/.test(options.port!) && port >= 1 && port <= MAX_PORT)) throw new ValidationError('bad-port', `--port must be a port number from 1 to ${MAX_PORT}, got ${JSON.stringify(options.port)}`);
  const node = await startRegtestNode({ dataDir: options.chainDir, ...(port === undefined ? {} : { port }), ...(options.password === undefined ? {} : { password: options.password }) });
  process.stdout.write(`regtest node at ${node.rpcUrl}, height ${await node.rpc.getBlockCount()}; Ctrl-C stops it\n`);
  // The listeners stay while the node stops: a second signal (Ctrl-C pressed again, a supervisor's
  // SIGTERM repeated) ending the process by default would leave the chain half written.
  await new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  await node.stop();
  exitBeforeTeardown();
}

export function regtestAddress(options: { json?: boolean }): void {
  const fresh = newRegtestAddress();
  printResult(options, fresh.address, fresh);
}
