import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function auditCommand(): Command {
  return new Command('audit')
    .description('verify the whole chain a member serves from genesis, trusting no member: signatures, every transaction, mints, anchors and settlements on Bitcoin, and the reserves')
    .option('--member <url>', 'member API URL to download the chain from (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--bitcoin-rpc <url>', 'your own Bitcoin node, http://user:password@host:port (default: $STRONGBOX_BITCOIN_RPC_URL or the local network)')
    .option('--genesis <file>', 'the genesis file you trust (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--previous <report>', 'the --json report of an earlier audit of this chain that passed: fail if the chain no longer holds the block it ended at')
    .option('--broadcast-grace <seconds>', "how long after its block's time a record in the newest blocks is given for its Bitcoin transaction to reach your node (default: 10)")
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExit status: 0 when every check passed, 1 with the first failing height or item.\nBefore judging the reserves short, the other members the local network or the genesis file lists are asked\nfor their heights: a longer chain elsewhere makes it an error naming the member to audit instead.\n\nExamples:\n  strongbox audit --member http://10.0.0.5:8100 --bitcoin-rpc http://user:pass@127.0.0.1:8332 --genesis genesis.json --json > last-audit.json\n  strongbox audit --member http://10.0.0.6:8100 --bitcoin-rpc http://user:pass@127.0.0.1:8332 --genesis genesis.json --previous last-audit.json')
    .action(lazyAction(() => import('../actions/audit.ts'), 'audit'));
}
