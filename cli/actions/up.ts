import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultDataDir } from '../../federation/local-network/network-file.ts';
import { printResult } from '../output.ts';
import { exitBeforeTeardown } from '../exit-before-teardown.ts';
import { explorerUrl, upSummary } from '../up-summary.ts';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { demoWalletFile, ensureDemoWallet } from '../../federation/local-network/demo-wallet.ts';
import { fundLocalOpsWallet } from '../../federation/local-network/ops-wallet-funding.ts';
import { memberLogPath, startLocalNetwork } from '../../federation/local-network/local-network.ts';
import { memberRefusal } from '../../federation/local-network/member-readiness.ts';
import { embeddedCluster, serverExit } from '../../federation/postgres/member-database.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';

/** A member that exits is started again after `firstMs`; one that had run under `settledMs` waits twice its last wait, up to `maxMs`. */
const MEMBER_RESTART = { firstMs: 1_000, settledMs: 60_000, maxMs: 60_000 };

export async function up(options: { dataDir?: string; fresh?: boolean; json?: boolean }): Promise<void> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
  const started = Date.now();
  const progress = (step: string) => {
    if (!options.json) console.error(`… ${step}`);
  };
  const network = await startLocalNetwork({
    dataDir,
    fresh: options.fresh,
    onProgress: progress,
  });
  const genesis = readGenesisFile(network.network.genesisFile!);
  const escrowMultisig = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const escrow = { descriptor: escrowMultisig.descriptor, address: escrowMultisig.address(bitcoinNetwork(genesis.file.bitcoinNetwork)) };
  let demoWallet;
  try {
    // A new network (no demo wallet yet) gets its operations wallet funded too, so it anchors.
    if (!existsSync(demoWalletFile(dataDir))) await fundLocalOpsWallet(network.network, progress);
    demoWallet = await ensureDemoWallet(dataDir, network.network, genesis.file.pegin.confirmations, progress);
  } catch (error) {
    await network.stop();
    throw error;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  printResult(
    options,
    upSummary({ dataDir, seconds, network: network.network, postgresPort: network.postgres.port, escrow, demoWallet }),
    { dataDir, ...network.network, explorerUrl: explorerUrl(network.network), escrow, demoWallet },
  );
  let stopping = false;
  const restarts = new Set<NodeJS.Timeout>();
  // A member that dies while the network runs is said at once and started again, as a service
  // manager would, so it stays one of this network's processes (Ctrl-C stops it with the rest).
  // One that dies again soon after it started waits twice as long each time.
  const supervise = (index: number, delayMs: number) => {
    const startedAt = Date.now();
    void network.members[index]!.exited.then((how) => {
      if (stopping) return;
      const wait = Date.now() - startedAt >= MEMBER_RESTART.settledMs ? MEMBER_RESTART.firstMs : Math.min(delayMs * 2, MEMBER_RESTART.maxMs);
      // A member that refused to start (its port taken, its key file changed) says why in its log's last line.
      const log = memberLogPath(dataDir, index);
      const refusal = memberRefusal(log);
      console.error(`! member ${index} exited (${how})${refusal ? `: ${refusal}` : ''}; starting it again in ${wait / 1000} s (its log: ${log})`);
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (stopping) return;
        const restarted = network.restartMember(index);
        console.error(`! member ${index} started again (pid ${restarted.process.pid})`);
        supervise(index, wait);
      }, wait);
      restarts.add(timer);
    });
  };
  network.members.forEach((_, index) => supervise(index, MEMBER_RESTART.firstMs / 2));
  const cluster = embeddedCluster(dataDir);
  const postgres = serverExit(cluster, `the server of ${cluster}, which holds every member's database, stopped or is shutting down under the running network (its log: ${cluster}.log), so the network stops too: start it again and it starts the server`);
  // Ctrl-C on `npm start` reaches this process twice, from the terminal and forwarded by npm. A
  // signal nobody listens to any more would end it while it stops the members, and a member
  // still stopping would be left running with its database held: the listeners stay, and a
  // signal while stopping changes nothing (members get 60 s, then SIGKILL).
  const lost = await Promise.race([
    new Promise<undefined>((resolveSignal) => {
      process.on('SIGINT', () => resolveSignal(undefined));
      process.on('SIGTERM', () => resolveSignal(undefined));
    }),
    postgres.exited,
  ]);
  postgres.unwatch();
  stopping = true;
  for (const timer of restarts) clearTimeout(timer);
  progress('stopping');
  await network.stop();
  // A Ctrl-C pressed again as up ends, or npm's forwarded copy coming late, would otherwise end up
  // by SIGINT after a clean stop, and `npm start`, which ends as its script did, with it.
  exitBeforeTeardown();
  if (lost) throw lost;
  if (!options.json) console.error('stopped');
}
