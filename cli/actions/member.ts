import { loadMemberConfig, type MemberConfig } from '../../federation/config.ts';
import { createLogger, type Logger } from '../../federation/observability/logger.ts';
import { stopWhenParentDies, type Lifeline } from '../../federation/local-network/child-processes.ts';
import { StoppedWhileStartingError } from '../../federation/member/stop-request.ts';
import { exitBeforeTeardown } from '../exit-before-teardown.ts';
import type { MemberStartOptions, RunningMember } from '../../federation/member/start-member.ts';

export async function memberStart(options: { config?: string; replay?: boolean }): Promise<void> {
  const config = loadMemberConfig(options.config);
  const log = createLogger({ name: `member-${config.memberIndex}`, level: config.logLevel });
  // Listened to before the start, which may replay a long chain or wait on its peers: a stop asked
  // then ends it at its next safe point, as one asked later does. The listeners stay, as in `up`:
  // Ctrl-C on `npm run member` reaches the member twice, from the terminal and forwarded by npm,
  // and a second signal must not end it by default half-way through closing its database.
  const stopRequest = new AbortController();
  const requestStop = () => stopRequest.abort();
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  // A local network's member whose parent dies stops as on SIGTERM, from the start on: one whose
  // `up` was killed while it replayed its chain or waited on its peers would otherwise run on alone.
  const lifeline = stopWhenParentDies(requestStop);
  try {
    await runUntilStopped(config, log, stopRequest.signal, lifeline, { replayFromGenesis: options.replay === true });
  } finally {
    lifeline.release();
    // A supervisor's SIGTERM repeated (systemd, docker, `up` on a second Ctrl-C) as the member
    // ends would otherwise end it by that signal after its clean stop, reported as a failure.
    exitBeforeTeardown();
  }
}

async function runUntilStopped(config: MemberConfig, log: Logger, stopRequested: AbortSignal, lifeline: Lifeline, start: MemberStartOptions): Promise<void> {
  // Loaded once the config is read: a config refused is said without loading the whole member first.
  const { startMember } = await import('../../federation/member/start-member.ts');
  let running: RunningMember;
  try {
    running = await startMember(config, log, stopRequested, start);
  } catch (error) {
    // A member whose `up` died (even by SIGKILL) meets the end of what `up` ran, its Bitcoin node
    // and its database, wherever its start was: that is the stop, not a reason to exit 1.
    if (!(error instanceof StoppedWhileStartingError) && !(await lifeline.lost())) throw error;
    log.info(error instanceof StoppedWhileStartingError && error.waitingFor ? { waitingFor: error.waitingFor } : {}, 'member stopped while starting');
    return;
  }
  const reason = await new Promise<Error | undefined>((resolve) => {
    if (stopRequested.aborted) resolve(undefined);
    stopRequested.addEventListener('abort', () => resolve(undefined), { once: true });
    void running.mustStop.then(resolve);
  });
  if (reason) log.error({ reason: reason.message }, 'member stopping');
  await running.stop();
  log.info('member stopped');
  if (reason) throw reason;
}
