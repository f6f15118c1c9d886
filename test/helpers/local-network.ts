import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startLocalNetwork, type LocalNetwork } from '../../federation/local-network/local-network.ts';
import { MemberClient } from '../../federation/api/client.ts';
import type { Genesis, GenesisFile } from '../../sidechain/genesis.ts';
import { genesisPath, runLocalCeremony } from '../../federation/local-network/ceremony.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { placeInitialisedCluster } from './postgres.ts';
import { placeMinedChain } from './regtest.ts';
import { withEnvironment } from './environment.ts';

export interface TestNetwork {
  network: LocalNetwork;
  genesis: Genesis;
  clients: MemberClient[];
  /** The member settings the network was started with (TestNetworkOptions), which a member started again keeps. */
  memberEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface TestNetworkOptions {
  /** Changes the genesis parameters before any member reads them (the ceremony keeps an existing file). */
  genesis?: (file: GenesisFile) => GenesisFile;
  /**
   * Member settings of federation/config.ts as their environment variables, for every member of
   * the network: a setting whose length the file's tests do not depend on, set short.
   */
  memberEnv?: NodeJS.ProcessEnv;
}

/**
 * A whole local network (regtest, Postgres, member processes) in a fresh folder. Its Postgres
 * starts on a copy of a cluster initialised once per run, and its regtest node on a copy of a
 * chain mined once per run, where the local network keeps them: the start of a network on a fresh
 * folder, initdb and mining included, is `strongbox up`'s test (up-smoke.test.ts).
 */
export async function startTestNetwork(members = 5, options: TestNetworkOptions = {}): Promise<TestNetwork> {
  const dataDir = join(tmpdir(), `strongbox-e2e-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  await placeInitialisedCluster(join(dataDir, 'postgres', 'cluster'));
  await placeMinedChain(join(dataDir, 'bitcoin'));
  if (options.genesis) {
    runLocalCeremony({ dir: dataDir, members, bitcoinNetwork: 'regtest' });
    const path = genesisPath(dataDir);
    writeFileSync(path, `${JSON.stringify(options.genesis(JSON.parse(readFileSync(path, 'utf8')) as GenesisFile), null, 2)}\n`);
  }
  const memberEnv = options.memberEnv ?? {};
  // Member processes inherit the environment they are spawned with.
  const network = await withEnvironment(memberEnv, () => startLocalNetwork({ dataDir, members }));
  const genesis = readGenesisFile(network.network.genesisFile!);
  return {
    network,
    genesis,
    clients: network.network.members.map((member) => new MemberClient(member.apiUrl)),
    memberEnv,
    async stop() {
      await network.stopForDeletion();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of a member start a test expects refused: the refusal is what it checks, not how
 * long the member asks its peers or its database before it refuses (`peerWaitMs` and
 * `databaseClaimWaitMs`, 25 s and 5 s by default). The networks' own members keep the defaults:
 * members restarted under load lean on them.
 */
export const REFUSED_START_WAITS = { STRONGBOX_PEER_WAIT_MS: '2000', STRONGBOX_DATABASE_CLAIM_WAIT_MS: '500' };

/**
 * The member settings of a network whose tests do not check how burns are batched: a burn's
 * settlement is proposed at the next signing step after it is final, where the default batch window
 * (`pegoutBatchWindowMs`, 2 s) would hold it back for burns that may come with it. The peg-out
 * files that check batching, or read a burn inside the window, keep the default.
 */
export const UNBATCHED_PEGOUTS = { STRONGBOX_PEGOUT_BATCH_WINDOW_MS: '100' };

/**
 * The member settings of a network whose tests wait for a member behind an idle chain to follow it
 * (back from a database outage, or with a clock its peers' frames disagree with): such a member
 * learns of the blocks it lacks at its next catch-up tick (`catchUpIntervalMs`, 5 s), which
 * these networks run every second. A member that hears of a height ahead catches up at once either way.
 */
export const PROMPT_CATCH_UP = { STRONGBOX_CATCH_UP_INTERVAL_MS: '1000' };

/** Waits until `check` holds, polling; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
