import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemberConfigInput } from '../config.ts';
import { findFreePorts } from '../../regtest/free-port.ts';
import { genesisPath, memberDir } from './ceremony.ts';

/** Every client of a local network shares 127.0.0.1: twenty times what a public member takes from one client. */
const LOCAL_TRANSACTION_LIMIT_PER_MINUTE = 1_200_000;
const LOCAL_REGISTRATION_LIMIT_PER_MINUTE = 1_200;
const DEFAULT_LOCAL_API_RATE_LIMIT_PER_MINUTE = 120_000;

export interface MemberPorts {
  api: number;
  peer: number;
}

/** The servers and limits every member of a local network is configured with, beside its ports. */
export interface MemberConfigContext {
  dataDir: string;
  bitcoinRpcUrl: string;
  databaseUrl: (memberIndex: number) => string;
  apiRateLimitPerMinute?: number;
}

/** The database member `index` of a local network keeps on the network's Postgres server. */
export const memberDatabaseName = (index: number) => `member_${index}`;

export const memberConfigPath = (dataDir: string, index: number) => join(memberDir(dataDir, index), 'config.json');

export const memberApiUrl = (ports: MemberPorts) => `http://127.0.0.1:${ports.api}`;

/** The API and peer ports member `index`'s config.json names (0 for one it lacks); undefined without a readable config. */
export function readMemberPorts(dataDir: string, index: number): MemberPorts | undefined {
  const file = memberConfigPath(dataDir, index);
  if (!existsSync(file)) return undefined;
  let config: { api?: { port?: number }; peer?: { port?: number } };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  return { api: config.api?.port ?? 0, peer: config.peer?.port ?? 0 };
}

/**
 * An API and a peer port for each of `count` members, free now: `preferred` ones (the last start's,
 * in config order) where still free, with a line through `say` for each that moved.
 */
export async function chooseMemberPorts(count: number, preferred: readonly number[], say: (line: string) => void): Promise<MemberPorts[]> {
  const free = await findFreePorts(2 * count, preferred);
  free.forEach((port, index) => {
    const before = preferred[index];
    if (before && before !== port) say(`member ${Math.floor(index / 2)}'s ${index % 2 === 0 ? 'API' : 'peer'} port ${before} of the last start is taken by another process: it now has ${port}`);
  });
  return Array.from({ length: count }, (_, index) => ({ api: free[2 * index]!, peer: free[2 * index + 1]! }));
}

/** Writes each member's config.json: its own ports, and every other member at theirs as its peers. */
export function writeMemberConfigs(ports: MemberPorts[], context: MemberConfigContext): void {
  ports.forEach((own, index) => {
    const folder = memberDir(context.dataDir, index);
    const config: MemberConfigInput = {
      memberIndex: index,
      keyFile: join(folder, 'key.json'),
      genesisFile: genesisPath(context.dataDir),
      dataDir: folder,
      databaseUrl: context.databaseUrl(index),
      bitcoin: { rpcUrl: context.bitcoinRpcUrl },
      api: {
        host: '127.0.0.1',
        port: own.api,
        rateLimitPerMinute: context.apiRateLimitPerMinute ?? DEFAULT_LOCAL_API_RATE_LIMIT_PER_MINUTE,
        transactionLimitPerMinute: LOCAL_TRANSACTION_LIMIT_PER_MINUTE,
        registrationLimitPerMinute: LOCAL_REGISTRATION_LIMIT_PER_MINUTE,
      },
      peer: { host: '127.0.0.1', port: own.peer },
      peers: ports.flatMap((peer, peerIndex) => (peerIndex === index ? [] : [{ memberIndex: peerIndex, url: `ws://127.0.0.1:${peer.peer}`, apiUrl: memberApiUrl(peer) }])),
      logLevel: 'info',
    };
    writeFileSync(memberConfigPath(context.dataDir, index), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  });
}
