import { loadMemberConfig } from '../../federation/config.ts';
import { createLogger } from '../../federation/observability/logger.ts';
import { exitWhenParentDies } from '../../federation/local-network/child-processes.ts';
import { StoppedWhileStartingError } from '../../federation/member/stop-request.ts';
import type { RunningMember } from '../../federation/member/start-member.ts';

export async function memberStart(options: { config?: string }): Promise<void> {
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
  // Loaded once the config is read: a config refused is said without loading the whole member first.
  const { startMember } = await import('../../federation/member/start-member.ts');
  let running: RunningMember;
  try {
    running = await startMember(config, log, stopRequest.signal);
  } catch (error) {
    if (!(error instanceof StoppedWhileStartingError)) throw error;
    log.info('member stopped while starting');
    return;
  }
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= running.stop().then(() => log.info('member stopped'));
    return stopping;
  };
  const releaseLifeline = exitWhenParentDies(shutdown);
  const reason = await new Promise<Error | undefined>((resolve) => {
    if (stopRequest.signal.aborted) resolve(undefined);
    stopRequest.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    void running.mustStop.then(resolve);
  });
  if (reason) log.error({ reason: reason.message }, 'member stopping');
  await shutdown();
  releaseLifeline();
  if (reason) throw reason;
}
