import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FullNode, type BcoinFullNode } from './bcoin.ts';
import { BitcoinRpc } from '../watcher/rpc.ts';
import { findFreePort } from './free-port.ts';
import { FAUCET_ADDRESS } from './faucet.ts';
import { RegtestStartError } from './errors.ts';

/** Segwit is a BIP9 deployment on bcoin's regtest; it is active from this height on. */
export const SEGWIT_ACTIVE_HEIGHT = 432;

export interface RegtestNodeOptions {
  /** Keep the chain in this directory across restarts; in memory when absent. */
  dataDir?: string;
  /** RPC port on 127.0.0.1; a free one when absent. */
  port?: number;
  /** RPC password; random when absent. */
  password?: string;
  /** Take Bitcoin peer connections on 127.0.0.1 at this port, and sync from peers; neither when absent. */
  p2pPort?: number;
}

export interface RegtestNode {
  rpcUrl: string;
  rpcPort: number;
  password: string;
  rpc: BitcoinRpc;
  stop(): Promise<void>;
}

/**
 * Starts bcoin in this process on regtest, with Bitcoin Core's address prefixes and JSON-RPC on
 * 127.0.0.1. A new chain is mined past segwit activation so the node accepts P2WSH at once.
 */
export async function startRegtestNode(options: RegtestNodeOptions = {}): Promise<RegtestNode> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await startRegtestNodeOn(port, options);
    } catch (error) {
      // A port found free may be taken by another process before the node binds it: another one then.
      if (options.port !== undefined || attempt >= PORT_ATTEMPTS || !(error instanceof RegtestStartError && error.portInUse)) throw error;
    }
  }
}

/** Ports tried when the one found free is taken before the node binds it. */
const PORT_ATTEMPTS = 3;

async function startRegtestNodeOn(rpcPort: number, options: RegtestNodeOptions): Promise<RegtestNode> {
  const password = options.password ?? randomBytes(16).toString('hex');
  if (options.dataDir) mkdirSync(join(options.dataDir, 'regtest'), { recursive: true });
  const node: BcoinFullNode = new FullNode({
    network: 'regtest',
    memory: !options.dataDir,
    ...(options.dataDir ? { prefix: options.dataDir } : {}),
    workers: false,
    listen: options.p2pPort !== undefined,
    ...(options.p2pPort !== undefined ? { host: '127.0.0.1', port: options.p2pPort } : {}),
    httpHost: '127.0.0.1',
    httpPort: rpcPort,
    apiKey: password,
    indexTX: true,
    indexAddress: true,
    logLevel: 'warning',
    logConsole: false,
    logFile: false,
  });
  const rpcUrl = `http://strongbox:${encodeURIComponent(password)}@127.0.0.1:${rpcPort}`;
  const rpc = new BitcoinRpc(rpcUrl);
  try {
    await node.open();
    await node.connect();
    // A node that takes peers follows them too: it downloads the blocks of those it connects to.
    if (options.p2pPort !== undefined) node.startSync();
    // Mined by the node's RPC handler in this process, not over HTTP: the 433 blocks of a new
    // chain are one call, which the RPC client would give up on after its 30 s of silence when a
    // busy machine stretches the mining (seen at a load average of about 50).
    const height = node.chain.height;
    if (height < SEGWIT_ACTIVE_HEIGHT + 1) await node.rpc.execute({ method: 'generatetoaddress', params: [SEGWIT_ACTIVE_HEIGHT + 1 - height, FAUCET_ADDRESS] });
  } catch (error) {
    // A half-opened node may hold the data directory's lock; release it before reporting.
    await node.close().catch(() => undefined);
    throw explainStartFailure(error, rpcPort, options.dataDir);
  }
  let stopped = false;
  return {
    rpcUrl,
    rpcPort,
    password,
    rpc,
    async stop() {
      if (stopped) return;
      stopped = true;
      await node.disconnect();
      // Closing the RPC server waits for every connection to end, and a member's request in
      // flight may never end by itself: it would hold the node open, and a restart, forever.
      const closing = node.close();
      const sweep = setInterval(() => node.http.http.closeAllConnections(), 50);
      try {
        await closing;
      } finally {
        clearInterval(sweep);
      }
    },
  };
}

function explainStartFailure(error: unknown, port: number, dataDir: string | undefined): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (/EADDRINUSE/.test(text)) return new RegtestStartError(`RPC port 127.0.0.1:${port} is already in use (choose another port)`, true);
  if (dataDir && /LOCK/.test(text)) return new RegtestStartError(`data directory ${dataDir} is in use by another running node (${text})`);
  return error;
}
