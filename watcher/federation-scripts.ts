import type { Genesis } from '../sidechain/genesis.ts';
import { sortedMultisig } from './escrow.ts';
import { opsWalletMultisig } from './ops-wallet.ts';
import { bitcoinNetwork } from './networks.ts';

const refusedByGenesis = new WeakMap<Genesis, ReadonlyMap<string, string>>();

/**
 * The federation's own Bitcoin scripts, as lowercase hex, each with the reason a peg-out may not
 * pay it: BTC paid to the escrow is no one's deposit and is never minted again, and BTC paid to
 * the operations wallet pays for anchors; either way the user loses it. The ledger rule and the
 * CLI both read this one list. Derived once per genesis: contexts are built per block.
 */
export function refusedPegoutDestinations(genesis: Genesis): ReadonlyMap<string, string> {
  const known = refusedByGenesis.get(genesis);
  if (known) return known;
  const network = bitcoinNetwork(genesis.file.bitcoinNetwork);
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const owned = [
    { multisig: escrow, what: "the federation's escrow: BTC paid there is no one's deposit and is never minted again" },
    { multisig: opsWalletMultisig(escrow), what: "the federation's operations wallet, which pays for anchors" },
  ];
  const refused = new Map(owned.map(({ multisig, what }) => [Buffer.from(multisig.scriptPubKey).toString('hex'), `${multisig.address(network)} is ${what}; a peg-out pays a Bitcoin address of your own`]));
  refusedByGenesis.set(genesis, refused);
  return refused;
}
