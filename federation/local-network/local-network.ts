import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRegtestNode, type RegtestNode } from '../../regtest/node.ts';
import { startPostgresServer, stopStaleServer, type PostgresServer } from '../postgres/embedded-server.ts';
import { fileURLToPath } from 'node:url';
import { writeNetworkFile, type NetworkFile } from './network-file.ts';
import { genesisPath, memberDir, runLocalCeremony } from './ceremony.ts';
import { spawnNodeChild, stopChildren, type ManagedChild } from './child-processes.ts';
import { lockNetworkFolder, type FolderLock } from './folder-lock.ts';
import { keptPort, previousPorts } from './previous-ports.ts';
import { chooseMemberPorts, memberApiUrl, memberConfigPath, memberDatabaseName, writeMemberConfigs } from './member-configs.ts';
import { NetworkStartError, waitForMembers } from './member-readiness.ts';

/** Starts of the members on freshly chosen ports, when another program took one before a member listened. */
const PORT_ATTEMPTS = 3;
/**
 * How long a member has to exit after SIGTERM before SIGKILL: it writes a snapshot of its ledger
 * first (seconds at a million UTXOs, more on a busy machine), as docker-compose.yml's
 * stop_grace_period gives it. Killed during the write, it keeps its older snapshot and replays more.
 */
export const MEMBER_STOP_GRACE_MS = 60_000;
const CLI_ENTRY = fileURLToPath(new URL('../../bin/strongbox.js', import.meta.url));

export interface LocalNetworkOptions {
  dataDir: string;
  /** Throw the previous network away and start a new chain. */
  fresh?: boolean;
  members?: number;
  threshold?: number;
  /**
   * Requests per minute each member's API serves one client address. Every client of a local
   * network (the CLI, the explorer, benchmarks, tests) shares the address 127.0.0.1, so the
   * default is 120,000 (2,000 a second), not a public member's 6,000; for the same reason each
   * member takes 1,200,000 transactions and 1,200 registrations a minute from it, not 60,000 and 60.
   */
  apiRateLimitPerMinute?: number;
  onProgress?: (step: string) => void;
}

export interface LocalNetwork {
  dataDir: string;
  bitcoin: RegtestNode;
  postgres: PostgresServer;
  network: NetworkFile;
  /** The member processes, by index; replaced when a member is restarted. */
  members: ManagedChild[];
  /**
   * Starts member `index` again with its config (after it exited or was killed); `env` is added
   * to its environment.
   */
  restartMember(index: number, env?: NodeJS.ProcessEnv): ManagedChild;
  /** Stops the Bitcoin node and starts it on the same chain, port and password; its mempool is lost, as bcoin keeps none. */
  restartBitcoin(): Promise<void>;
  /** Stops the Postgres server and starts it on the same cluster and port; members lose their connections meanwhile. */
  restartPostgres(): Promise<void>;
  stop(): Promise<void>;
  /** Stops as `stop` does, Postgres without its shutdown checkpoint (PostgresServer.stopForDeletion): for a network whose folder is deleted right after. */
  stopForDeletion(): Promise<void>;
}

/**
 * Brings up everything a local Strongbox network needs on this machine, in `dataDir`: the
 * embedded Bitcoin regtest node and the embedded Postgres server. A second start on the same
 * folder resumes the same chains.
 */
export async function startLocalNetwork(options: LocalNetworkOptions): Promise<LocalNetwork> {
  const lock = lockNetworkFolder(options.dataDir);
  if (options.fresh) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });
  lock.hold();
  try {
    return await startInHeldFolder(options, lock);
  } catch (error) {
    // A start that failed holds the folder no longer, so that it can be started again, from this process too.
    lock.release();
    throw error;
  }
}

async function startInHeldFolder(options: LocalNetworkOptions, lock: FolderLock): Promise<LocalNetwork> {
  const progress = options.onProgress ?? (() => undefined);
  const count = options.members ?? 5;
  // A network started again keeps its servers' ports where it can, so open explorer pages, a saved
  // --rpc URL, a psql connection string and scripts still find them; the RPC password is kept too.
  const previous = previousPorts(options.dataDir, count);
  progress('starting the Bitcoin regtest node');
  const bitcoinDir = join(options.dataDir, 'bitcoin');
  const postgresDir = join(options.dataDir, 'postgres', 'cluster');
  const bitcoinPort = await keptPort(previous.bitcoin?.port, 'the Bitcoin RPC', progress);
  let bitcoin = await startRegtestNode({ dataDir: bitcoinDir, port: bitcoinPort, password: previous.bitcoin?.password });
  let postgres: PostgresServer;
  try {
    progress('starting Postgres');
    // A server of the last start whose `up` was killed still holds its port: stopped first, so the port is kept.
    await stopStaleServer(postgresDir);
    postgres = await startPostgresServer({ dataDir: postgresDir, port: await keptPort(previous.postgresPort, 'the Postgres', progress) });
  } catch (error) {
    await bitcoin.stop();
    throw error;
  }
  progress(existsSync(genesisPath(options.dataDir)) ? 'resuming the chain of the existing genesis' : 'running the genesis ceremony');
  runLocalCeremony({ dir: options.dataDir, members: count, threshold: options.threshold, bitcoinNetwork: 'regtest' });
  for (let index = 0; index < count; index++) await postgres.createDatabase(memberDatabaseName(index));
  const configContext = { dataDir: options.dataDir, bitcoinRpcUrl: bitcoin.rpcUrl, databaseUrl: (index: number) => postgres.connectionString(memberDatabaseName(index)), apiRateLimitPerMinute: options.apiRateLimitPerMinute };
  let members: ManagedChild[];
  let network: NetworkFile;
  // Ports are chosen free and let go until each member listens: another program may take one in
  // between. The members then start again on others, a few times, as nothing has used them yet.
  for (let attempt = 1; ; attempt++) {
    const ports = await chooseMemberPorts(count, attempt === 1 ? previous.members : [], progress);
    writeMemberConfigs(ports, configContext);
    members = spawnMembers(options.dataDir, count, progress);
    network = {
      bitcoinRpcUrl: bitcoin.rpcUrl,
      postgres: { port: postgres.port },
      genesisFile: genesisPath(options.dataDir),
      members: ports.map((own, index) => ({ memberIndex: index, apiUrl: memberApiUrl(own) })),
    };
    writeNetworkFile(options.dataDir, network);
    progress('waiting for the members to answer');
    try {
      await waitForMembers(
        network.members.map((member) => member.apiUrl),
        members,
        members.map((_, index) => memberLogPath(options.dataDir, index)),
        progress,
      );
      break;
    } catch (error) {
      await stopChildren(members, { graceMs: MEMBER_STOP_GRACE_MS, onProgress: progress });
      if (error instanceof NetworkStartError && error.portTaken && attempt < PORT_ATTEMPTS) {
        progress(`${error.message}: starting the members again on other ports`);
        continue;
      }
      await Promise.allSettled([postgres.stop(), bitcoin.stop()]);
      throw error;
    }
  }
  let stopping: Promise<void> | undefined;
  const stopAll = (stopPostgres: () => Promise<void>) => {
    stopping ??= (async () => {
      lock.markStopping();
      // Postgres only once every member has exited: each closes its own connections as it stops,
      // where a server stopped first would end them under it.
      await stopChildren(members, { graceMs: MEMBER_STOP_GRACE_MS, onProgress: progress });
      const results = await Promise.allSettled([stopPostgres(), bitcoin.stop()]);
      lock.release();
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    })();
    return stopping;
  };
  return {
    dataDir: options.dataDir,
    get bitcoin() {
      return bitcoin;
    },
    get postgres() {
      return postgres;
    },
    network,
    members,
    restartMember(index, env) {
      const previous = members[index];
      if (previous && previous.process.exitCode === null && previous.process.signalCode === null) throw new Error(`member ${index} is still running`);
      members[index] = spawnMember(options.dataDir, index, env);
      return members[index];
    },
    async restartBitcoin() {
      await bitcoin.stop();
      bitcoin = await startRegtestNode({ dataDir: bitcoinDir, port: bitcoin.rpcPort, password: bitcoin.password });
    },
    async restartPostgres() {
      await postgres.stop();
      postgres = await startPostgresServer({ dataDir: postgresDir, port: postgres.port, password: postgres.password });
    },
    stop: () => stopAll(() => postgres.stop()),
    stopForDeletion: () => stopAll(() => postgres.stopForDeletion()),
  };
}


/** Where member `index` of the network in `dataDir` writes its log. */
export const memberLogPath = (dataDir: string, index: number) => join(memberDir(dataDir, index), 'member.log');

/** Starts member `index` on its config.json, its output appended to its member.log. */
function spawnMember(dataDir: string, index: number, env?: NodeJS.ProcessEnv): ManagedChild {
  return spawnNodeChild(`member ${index}`, [CLI_ENTRY, 'member', 'start', '--config', memberConfigPath(dataDir, index)], { logFile: memberLogPath(dataDir, index), env });
}

function spawnMembers(dataDir: string, count: number, progress: (step: string) => void): ManagedChild[] {
  return Array.from({ length: count }, (_, index) => {
    progress(`starting member ${index}`);
    return spawnMember(dataDir, index);
  });
}
