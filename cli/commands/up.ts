import { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultDataDir } from '../../federation/local-network/network-file.ts';
import { printResult } from '../output.ts';

export function upCommand(): Command {
  return new Command('up')
    .description('bring up a complete local network and keep it running until Ctrl-C')
    .option('--data-dir <dir>', 'where the network lives (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--fresh', 'discard the previous network in that folder and start a new one')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExamples:\n  strongbox up\n  strongbox up --fresh --data-dir /var/tmp/strongbox')
    .action(async (options: { dataDir?: string; fresh?: boolean; json?: boolean }) => {
      const dataDir = options.dataDir ? resolve(options.dataDir) : defaultDataDir();
      const started = Date.now();
      // Loaded here: the embedded node and database are heavy, and other commands never need them.
      const { startLocalNetwork } = await import('../../federation/local-network/local-network.ts');
      const network = await startLocalNetwork({
        dataDir,
        fresh: options.fresh,
        onProgress: (step) => {
          if (!options.json) console.error(`… ${step}`);
        },
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      printResult(
        options,
        [
          `Strongbox local network is up (${seconds} s), data in ${dataDir}`,
          `  Bitcoin regtest RPC  http://127.0.0.1:${network.bitcoin.rpcPort} (credentials in ${dataDir}/network.json)`,
          `  Postgres             127.0.0.1:${network.postgres.port}`,
          ...network.network.members.map((member) => `  member ${member.memberIndex} API       ${member.apiUrl}  (logs: ${dataDir}/member-${member.memberIndex}/member.log)`),
          `  genesis              ${network.network.genesisFile}`,
          '',
          'Try:',
          `  curl ${network.network.members[0]?.apiUrl}/status`,
          '  strongbox regtest mine 1',
          '',
          'Press Ctrl-C to stop.',
        ].join('\n'),
        { dataDir, ...network.network },
      );
      await new Promise<void>((resolveSignal) => {
        process.once('SIGINT', () => resolveSignal());
        process.once('SIGTERM', () => resolveSignal());
      });
      if (!options.json) console.error('… stopping');
      await network.stop();
      if (!options.json) console.error('stopped');
    });
}
