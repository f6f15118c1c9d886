import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRegtestNode, type RegtestNode } from '../../regtest/node.ts';
import { startPostgresServer, type PostgresServer } from '../postgres/embedded-server.ts';
import { writeNetworkFile, type NetworkFile } from './network-file.ts';

export interface LocalNetworkOptions {
  dataDir: string;
  /** Throw the previous network away and start a new chain. */
  fresh?: boolean;
  onProgress?: (step: string) => void;
}

export interface LocalNetwork {
  dataDir: string;
  bitcoin: RegtestNode;
  postgres: PostgresServer;
  network: NetworkFile;
  stop(): Promise<void>;
}

/**
 * Brings up everything a local Strongbox network needs on this machine, in `dataDir`: the
 * embedded Bitcoin regtest node and the embedded Postgres server. A second start on the same
 * folder resumes the same chains.
 */
export async function startLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetwork> {
  const progress = options.onProgress ?? (() => undefined);
  if (options.fresh) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });

  progress('starting the Bitcoin regtest node');
  const bitcoin = await startRegtestNode({ dataDir: join(options.dataDir, 'bitcoin') });
  let postgres: PostgresServer;
  try {
    progress('starting Postgres');
    postgres = await startPostgresServer({ dataDir: join(options.dataDir, 'postgres', 'cluster') });
  } catch (error) {
    await bitcoin.stop();
    throw error;
  }
  const network: NetworkFile = { bitcoinRpcUrl: bitcoin.rpcUrl, postgres: { port: postgres.port }, members: [] };
  writeNetworkFile(options.dataDir, network);

  let stopping: Promise<void> | undefined;
  return {
    dataDir: options.dataDir,
    bitcoin,
    postgres,
    network,
    stop() {
      stopping ??= (async () => {
        const results = await Promise.allSettled([postgres.stop(), bitcoin.stop()]);
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw (failed as PromiseRejectedResult).reason;
      })();
      return stopping;
    },
  };
}
