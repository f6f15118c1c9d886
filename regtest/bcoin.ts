import { createRequire } from 'node:module';

// bcoin is CommonJS without types; this file is the only place that loads it, and it declares
// the little of its surface Strongbox uses.
const require = createRequire(import.meta.url);

/** Bitcoin Core's regtest prefixes, so addresses agree with bitcoinjs-lib and bitcoind. */
const BITCOIN_CORE_REGTEST_PREFIXES = {
  pubkeyhash: 0x6f,
  scripthash: 0xc4,
  witnesspubkeyhash: 0x03,
  witnessscripthash: 0x28,
  bech32: 'bcrt',
};

// Must run before bcoin builds its Network objects, which copy the table on first use.
const networks = require('bcoin/lib/protocol/networks') as { regtest: { addressPrefix: typeof BITCOIN_CORE_REGTEST_PREFIXES } };
networks.regtest.addressPrefix = { ...BITCOIN_CORE_REGTEST_PREFIXES };

export interface BcoinFullNodeOptions {
  network: 'regtest';
  memory: boolean;
  prefix?: string;
  workers: boolean;
  listen: boolean;
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
  disconnect(): Promise<void>;
  close(): Promise<void>;
  chain: { height: number };
}

const bcoin = require('bcoin') as { FullNode: new (options: BcoinFullNodeOptions) => BcoinFullNode };

export const FullNode = bcoin.FullNode;
