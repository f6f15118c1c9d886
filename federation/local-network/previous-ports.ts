import { existsSync } from 'node:fs';
import { probeListen } from '../../regtest/free-port.ts';
import { readMemberPorts } from './member-configs.ts';
import { networkFilePath, readNetworkFile } from './network-file.ts';

/** Where a local network's servers listened when it last ran, read back so that a new start in the folder can keep them. */
export interface PreviousPorts {
  /** The Bitcoin node's RPC port and password, from the network file. */
  bitcoin?: { port: number; password: string };
  /** The Postgres server's port, from the network file (its password is kept beside its cluster). */
  postgresPort?: number;
  /** The API and peer ports of each member's existing config, in order; none for a new folder. */
  members: number[];
}

export function previousPorts(dataDir: string, memberCount: number): PreviousPorts {
  const members = previousMemberPorts(dataDir, memberCount);
  if (!existsSync(networkFilePath(dataDir))) return { members };
  let network;
  try {
    network = readNetworkFile(dataDir);
  } catch {
    // A damaged file only loses the ports: the network is started on free ones and the file written anew.
    return { members };
  }
  const rpc = new URL(network.bitcoinRpcUrl);
  return { bitcoin: { port: Number(rpc.port), password: decodeURIComponent(rpc.password) }, postgresPort: network.postgres.port, members };
}

function previousMemberPorts(dataDir: string, count: number): number[] {
  const ports: number[] = [];
  for (let index = 0; index < count; index++) {
    const member = readMemberPorts(dataDir, index);
    if (!member) return ports;
    ports.push(member.api, member.peer);
  }
  return ports;
}

/**
 * `port` when it is still free on 127.0.0.1, else undefined (the server then takes a free one)
 * with a line through `say` naming what moved: a saved URL or client pointing at it breaks.
 */
export async function keptPort(port: number | undefined, what: string, say: (line: string) => void): Promise<number | undefined> {
  if (port === undefined) return undefined;
  try {
    await probeListen('127.0.0.1', port);
    return port;
  } catch {
    say(`${what} port ${port} of the last start is taken by another process: a free one is used instead, and saved URLs naming ${port} need the new port`);
    return undefined;
  }
}
