import { loadMemberConfig } from '../../federation/config.ts';
import { createLogger } from '../../federation/observability/logger.ts';
import { exitWhenParentDies } from '../../federation/local-network/child-processes.ts';

export async function memberStart(options: { config?: string }): Promise<void> {
  const config = loadMemberConfig(options.config);
  const log = createLogger({ name: `member-${config.memberIndex}`, level: config.logLevel });
  // Loaded once the config is read: a config refused is said without loading the whole member first.
  const { startMember } = await import('../../federation/member/start-member.ts');
  const running = await startMember(config, log);
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= running.stop().then(() => log.info('member stopped'));
    return stopping;
  };
  const releaseLifeline = exitWhenParentDies(shutdown);
  const reason = await new Promise<Error | undefined>((resolve) => {
    process.once('SIGINT', () => resolve(undefined));
    process.once('SIGTERM', () => resolve(undefined));
    void running.mustStop.then(resolve);
  });
  if (reason) log.error({ reason: reason.message }, 'member stopping');
  await shutdown();
  releaseLifeline();
  if (reason) throw reason;
}
