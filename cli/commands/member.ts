import { Command } from 'commander';
import { loadMemberConfig } from '../../federation/config.ts';
import { createLogger } from '../../federation/observability/logger.ts';
import { exitWhenParentDies } from '../../federation/local-network/child-processes.ts';

export function memberCommand(): Command {
  const member = new Command('member').description('run a federation member');
  member.addCommand(
    new Command('start')
      .description('start one federation member and run until SIGTERM or Ctrl-C')
      .option('--config <file>', 'member config (JSON); environment variables override it (see federation/config.ts)')
      .addHelpText('after', '\nExamples:\n  strongbox member start --config .strongbox/member-0/config.json\n  STRONGBOX_MEMBER_INDEX=2 DATABASE_URL=postgres://… strongbox member start')
      .action(async (options: { config?: string }) => {
        const config = loadMemberConfig(options.config);
        const log = createLogger({ name: `member-${config.memberIndex}`, level: config.logLevel });
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
      }),
  );
  return member;
}
