import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

export function proofCommand(): Command {
  return new Command('proof')
    .description('export the standalone inclusion proof of a final transaction (a burn proof for a peg-out)')
    .argument('<txid>', 'the transaction id')
    .option('--out <file>', 'write the proof to this file instead of standard output (an existing file is refused)')
    .option('--force', 'with --out, replace a file that exists')
    .option('--member <url>', 'member API URL (default: $STRONGBOX_MEMBER_URL or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'with --out, say what was written as JSON (the proof itself is JSON either way)')
    .addHelpText('after', '\nExample:\n  strongbox proof 3f2a… --out burn.proof.json\n  strongbox verify-proof burn.proof.json')
    .action(lazyAction(() => import('../actions/proof.ts'), 'exportProof'));
}

export function verifyProofCommand(): Command {
  return new Command('verify-proof')
    .description('check an inclusion proof offline against the genesis file: final block, k signatures, Merkle path')
    .argument('<file>', 'a proof written by strongbox proof')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--txid <txid>', 'the transaction the proof must be of: refused if it proves another')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox verify-proof burn.proof.json --genesis genesis.json')
    .action(lazyAction(() => import('../actions/proof.ts'), 'verifyProof'));
}
