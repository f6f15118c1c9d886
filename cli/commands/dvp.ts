import { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';
import { networkOptions, submitOptions } from '../command-options.ts';

const DEFAULT_EXPIRY_BLOCKS = '1000';
/**
 * Expiry counts blocks, and members make a block whenever anyone sends a transaction: an offer of
 * a few blocks can lapse on a busy chain before its buyer has read it. A tenth of the default.
 */
export const MIN_EXPIRY_BLOCKS = 100;

function offerCommand(): Command {
  return networkOptions(new Command('offer'))
    .description('sign an offer to deliver a security for pegged BTC; a buyer completes it with `dvp accept`')
    .requiredOption('--asset <asset>', 'the security to deliver (asset id, hex)')
    .requiredOption('--amount <units>', 'how much of it, in base units')
    .requiredOption('--price <sats>', 'pegged satoshis wanted in return, paid to the wallet')
    .option('--expires-in <blocks>', `blocks from the current tip (from the block of the coin it splits off, when it splits one) after which the offer lapses, at least ${MIN_EXPIRY_BLOCKS} (blocks come with transactions, not with time)`, DEFAULT_EXPIRY_BLOCKS)
    .requiredOption('--out <file>', 'where to write the offer (JSON; not secret)')
    .option('--file <file>', 'seller wallet file', 'wallet.json')
    .addHelpText('after', '\nExample:\n  strongbox dvp offer --asset 5c1f… --amount 100 --price 50000 --out offer.json --file seller.wallet.json')
    .action(lazyAction(() => import('../actions/dvp.ts'), 'dvpOffer'));
}

/** `dvp accept` and `dvp cancel`: an offer file and a wallet. */
function offerFileCommand(name: 'accept' | 'cancel', spec: { description: string; offerHelp: string; walletHelp: string; example: string }): Command {
  return submitOptions(new Command(name))
    .description(spec.description)
    .requiredOption('--offer <file>', spec.offerHelp)
    .option('--file <file>', spec.walletHelp, 'wallet.json')
    .addHelpText('after', `\nExample:\n  ${spec.example}`)
    .action(lazyAction(() => import('../actions/dvp.ts'), name === 'accept' ? 'dvpAccept' : 'dvpCancel'));
}

function acceptCommand(): Command {
  const spec = {
    description: 'complete an offer: pay its price from the wallet and receive the security, in one atomic transaction',
    offerHelp: 'the offer file the seller gave you',
    walletHelp: 'buyer wallet file',
    example: 'strongbox dvp accept --offer offer.json --file buyer.wallet.json',
  };
  return offerFileCommand('accept', spec);
}

function cancelCommand(): Command {
  const spec = {
    description: 'withdraw an offer before anyone takes it, by moving the offered coin back to the wallet',
    offerHelp: 'the offer file; once it is lost, the path it was written to (the wallet file records which coin backs it)',
    walletHelp: 'seller wallet file',
    example: 'strongbox dvp cancel --offer offer.json --file seller.wallet.json',
  };
  return offerFileCommand('cancel', spec);
}

function showCommand(): Command {
  return networkOptions(new Command('show'))
    .description('what an offer gives and asks, checked against the chain: read it before you accept it')
    .requiredOption('--offer <file>', 'the offer file')
    .addHelpText('after', '\nExample:\n  strongbox dvp show --offer offer.json')
    .action(lazyAction(() => import('../actions/dvp.ts'), 'dvpShow'));
}

export function dvpCommand(): Command {
  return new Command('dvp')
    .description('delivery versus payment: swap a security for pegged BTC in one atomic transaction')
    .addCommand(offerCommand())
    .addCommand(showCommand())
    .addCommand(acceptCommand())
    .addCommand(cancelCommand());
}
