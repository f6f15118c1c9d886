import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MemberApiError } from '../../federation/api/client.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import { eventually, type TestNetwork } from './local-network.ts';
import { memberLogPath } from '../../federation/local-network/local-network.ts';
import type { ManagedChild } from '../../federation/local-network/child-processes.ts';
import { readMemberPorts } from '../../federation/local-network/member-configs.ts';
import { memberRefusal } from '../../federation/local-network/member-readiness.ts';
import { probeListen } from '../../regtest/free-port.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A seed for a fault run: FAULT_SEED replays one, otherwise a new one; printed either way. */
export function faultSeed(what: string): number {
  const seed = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`      ${what}: seed ${seed} (FAULT_SEED=${seed} replays its choices)`);
  return seed;
}

/** Rounds of each randomized fault scenario: FAULT_ROUNDS for a long run, a few by default. */
export const FAULT_ROUNDS = Number(process.env.FAULT_ROUNDS ?? 2);

/**
 * Stops the network after its suite. After a failure (`failed`) the network's folder (each
 * member's log, the Postgres server's log) is kept and its path printed: a member that exited or
 * misbehaved says why only in its log, which would go with the folder.
 */
export async function stopKeepingFolderOnFailure(net: TestNetwork | undefined, failed: boolean): Promise<void> {
  if (!net) return;
  if (!failed) return net.stop();
  await net.network.stop();
  console.log(`      the network's folder is kept for its member logs: ${net.network.dataDir}`);
}

/** Whether a test of `suite` failed. */
export const anyTestFailed = (suite: Mocha.Suite | undefined) => suite?.tests.some((test) => test.state === 'failed') ?? false;

/** Whether member `index`'s process is alive (a paused one included). */
export const memberRunning = (net: TestNetwork, index: number) => {
  const child = net.network.members[index]!.process;
  return child.exitCode === null && child.signalCode === null;
};

export async function killMember(net: TestNetwork, index: number): Promise<void> {
  if (!memberRunning(net, index)) return;
  net.network.members[index]!.process.kill('SIGKILL');
  await net.network.members[index]!.exited;
}

/**
 * Starts a stopped member (with the network's member settings and extra environment, if any) and
 * waits until its API answers. It starts on its config's ports, which the other members know it
 * by: one another program took meanwhile is waited for, and named if it stays taken or is taken
 * again before the member listens.
 */
export async function restartMember(net: TestNetwork, index: number, env?: NodeJS.ProcessEnv): Promise<void> {
  if (memberRunning(net, index)) return;
  const ports = readMemberPorts(net.network.dataDir, index)!;
  for (const [field, port] of [['API', ports.api], ['peer', ports.peer]] as const) {
    await eventually(`member ${index}'s ${field} port ${port} to be free for its restart (another process holds it)`, () => probeListen('127.0.0.1', port).then(() => true), 30_000);
  }
  await memberAnswering(net, index, net.network.restartMember(index, { ...net.memberEnv, ...env }), 60_000);
}

/**
 * Waits until the API of member `index`, started as `child`, answers; fails at once with the
 * reason its log gives if the process exits first, or once `timeoutMs` has passed. Without a
 * timeout it waits for as long as the process runs: a member's start is CPU-bound, and a busy
 * machine stretches it without bound (TESTING.md, 2026-12-07).
 */
export async function memberAnswering(net: TestNetwork, index: number, child: ManagedChild, timeoutMs = Infinity): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const logFile = memberLogPath(net.network.dataDir, index);
  for (;;) {
    const how = child.process.exitCode ?? child.process.signalCode;
    if (how !== null) throw new Error(`member ${index} exited (${how}) at its start: ${memberRefusal(logFile) ?? 'no reason given'} (its log: ${logFile})`);
    if (await net.clients[index]!.status().then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for member ${index} to answer after its start (its log: ${logFile})`);
    await sleep(100);
  }
}

/**
 * SIGKILLs one member at a time at random moments and restarts it after a random pause, until
 * stopped; one of five down leaves a quorum, so the federation must keep working throughout.
 * `stop` restarts whoever is down and resolves with the kills made. A round of work shorter than
 * the first pause would end without any fault, so `stop` first waits for the first kill: the
 * work's aftermath (payments, anchors, catch-up) then runs through it.
 */
export function randomKills(net: TestNetwork, random: () => number, pauses = { upMs: [300, 2_500], downMs: [0, 2_500] }): { stop(): Promise<string[]> } {
  let stopping = false;
  const kills: string[] = [];
  let firstKilled!: () => void;
  const firstKill = new Promise<void>((resolve) => (firstKilled = resolve));
  const between = ([low, high]: number[]) => low! + random() * (high! - low!);
  const loop = (async () => {
    while (!stopping) {
      await sleep(between(pauses.upMs));
      if (stopping) break;
      const victim = Math.floor(random() * net.network.members.length);
      await killMember(net, victim);
      kills.push(`member ${victim} at ${new Date().toISOString()}`);
      firstKilled();
      await sleep(between(pauses.downMs));
      await restartMember(net, victim);
    }
  })();
  return {
    async stop() {
      await Promise.race([firstKill, loop]);
      stopping = true;
      await loop;
      for (let index = 0; index < net.network.members.length; index++) await restartMember(net, index);
      return kills;
    },
  };
}

/**
 * Submits a transaction to members in turn until one holds it (a member may be down, or may have
 * died before relaying it), then waits until some member has it final; resubmits while it is lost.
 */
export async function submitUntilFinal(net: TestNetwork, tx: Transaction, random: () => number, timeoutMs = 90_000): Promise<string> {
  const txid = txInfo(tx).idHex;
  await eventually(`transaction ${txid} final`, async () => {
    const member = Math.floor(random() * net.clients.length);
    const client = net.clients[member]!;
    const status = await client.transaction(txid).catch(() => null);
    if (status?.status === 'final') return true;
    await client.submit(tx).catch((error: unknown) => {
      if (!(error instanceof MemberApiError) || (error.code !== 'already-pending' && error.code !== 'member-unreachable')) throw error;
    });
    await sleep(200);
    return false;
  }, timeoutMs);
  return txid;
}

/** The second (Unix time) at which the node's mempool accepted `txid`; throws when it is not there. */
async function mempoolAcceptedAt(rpc: BitcoinRpc, txid: string): Promise<number> {
  return (await rpc.call<{ time: number }>('getmempoolentry', txid)).time;
}

/**
 * Restarts the Bitcoin node while `txid` waits in its mempool and resolves, once the transaction is
 * in the restarted node's mempool again, with the seconds at which each node accepted it. Asking
 * the restarted node whether it holds the transaction cannot tell a kept mempool from a member
 * that sent the transaction before the asking; the acceptance time can: a kept entry keeps its
 * time, one sent again carries a later second. The old node's second is waited out before the
 * restart so that a later second can only come from an acceptance after it. Nothing but the
 * members sends the transaction, so a later second is also a member's broadcast to the new node.
 */
export async function restartBitcoinUntilSentAgain(net: TestNetwork, rpc: BitcoinRpc, txid: string): Promise<{ acceptedBefore: number; acceptedAfter: number }> {
  const acceptedBefore = await mempoolAcceptedAt(rpc, txid);
  await sleep((acceptedBefore + 1) * 1_000 - Date.now());
  await net.network.restartBitcoin();
  await eventually(`transaction ${txid} in the restarted node's mempool`, async () => (await rpc.getTransactionConfirmations(txid)) === 0, 60_000);
  return { acceptedBefore, acceptedAfter: await mempoolAcceptedAt(rpc, txid) };
}

/** The environment that starts a member with its wall clock `skewMs` off (see skewed-clock.mjs). */
export function skewedClockEnv(skewMs: number): NodeJS.ProcessEnv {
  const preload = pathToFileURL(fileURLToPath(new URL('./skewed-clock.mjs', import.meta.url))).href;
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(), STRONGBOX_TEST_CLOCK_SKEW_MS: String(skewMs) };
}

/**
 * Follows member logs from now on and calls `onLine` with every new JSON line of any of them,
 * polling every few milliseconds so a test can act within moments of what a member logs.
 */
export function followLogs(net: TestNetwork, onLine: (member: number, line: Record<string, unknown>) => void): { stop(): void } {
  const files = net.network.members.map((_, index) => join(net.network.dataDir, `member-${index}`, 'member.log'));
  const offsets = files.map((file) => statSync(file).size);
  const partial = files.map(() => '');
  const timer = setInterval(() => {
    files.forEach((file, member) => {
      const size = statSync(file).size;
      if (size <= offsets[member]!) return;
      const buffer = Buffer.alloc(size - offsets[member]!);
      const fd = openSync(file, 'r');
      readSync(fd, buffer, 0, buffer.length, offsets[member]!);
      closeSync(fd);
      offsets[member] = size;
      const lines = (partial[member] + buffer.toString('utf8')).split('\n');
      partial[member] = lines.pop()!;
      for (const line of lines) {
        try {
          onLine(member, JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not a pino line (a Node warning, a stack trace); nothing to act on.
        }
      }
    });
  }, 5);
  return { stop: () => clearInterval(timer) };
}
