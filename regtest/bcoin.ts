import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import './bcoin-network.ts';

// bcoin is CommonJS without types; this file is the only place that loads its node (after
// bcoin-network.ts has fixed the address prefixes), and it declares the little of its surface
// Strongbox uses.
const require = createRequire(import.meta.url);

export interface BcoinFullNodeOptions {
  network: 'regtest';
  memory: boolean;
  prefix?: string;
  workers: boolean;
  listen: boolean;
  /** Where it takes peer connections, when it listens. */
  host?: string;
  port?: number;
  httpHost: string;
  httpPort: number;
  apiKey: string;
  indexTX: boolean;
  indexAddress: boolean;
  logLevel: string;
  logConsole?: boolean;
  logFile?: boolean;
}

export interface BcoinFullNode {
  open(): Promise<void>;
  connect(): Promise<void>;
  /** Download blocks from the peers it connects to; until then it takes none. */
  startSync(): void;
  disconnect(): Promise<void>;
  close(): Promise<void>;
  chain: { height: number };
  /** The node's own RPC handlers, callable in this process without its HTTP server. */
  rpc: { execute(request: { method: string; params: unknown[] }): Promise<unknown> };
  /** bweb's RPC server around Node's own. */
  http: { http: Server };
}

const bcoin = require('bcoin') as { FullNode: new (options: BcoinFullNodeOptions) => BcoinFullNode };

export const FullNode = bcoin.FullNode;
