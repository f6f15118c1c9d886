import { ValidationError } from '../../sidechain/errors.ts';
import { fund } from '../../regtest/faucet.ts';
import { btcToSats, satsToBtc } from '../../watcher/btc-amount.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { bitcoinRpcFrom } from '../bitcoin-node.ts';
import { table } from '../table.ts';
import type { AnchorView } from '../../federation/api/client.ts';

export async function listAnchors(options: NetworkOptions & { json?: boolean }): Promise<void> {
  const anchors = await memberClientFrom(options).allAnchors();
  printResult(options, anchors.length === 0 ? 'no anchors yet' : anchorsTable(anchors).join('\n'), { anchors });
}

/** One line an anchor under a header, its confirmations a figure in a column of that name. */
export function anchorsTable(anchors: readonly Pick<AnchorView, 'height' | 'blockHash' | 'bitcoinTxid' | 'confirmations'>[]): string[] {
  const rows = anchors.map((anchor) => [`${anchor.height}`, anchor.blockHash, anchor.bitcoinTxid, anchor.confirmations === null ? 'not on Bitcoin' : `${anchor.confirmations}`]);
  return table([['height', 'block hash', 'bitcoin txid', 'confirmations'], ...rows], [true, false, false, true]);
}

export async function fundOpsWallet(options: Omit<NetworkOptions, 'member'> & { amount: string; rpc?: string; json?: boolean }): Promise<void> {
  const sats = btcToSats(options.amount, '--amount');
  if (sats <= 0n) throw new ValidationError('bad-amount', 'the amount must be above zero');
  const genesis = genesisFrom(options);
  const wallet = opsWalletMultisig(sortedMultisig(genesis.members.threshold, genesis.pegKeys));
  const address = wallet.address(bitcoinNetwork(genesis.file.bitcoinNetwork));
  // The genesis alone decides where the coins go: name its chain, so a genesis of another chain shows.
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  const chain = `chain ${genesis.file.network} (${chainId})`;
  if (genesis.file.bitcoinNetwork !== 'regtest') {
    printResult(options, `send ${satsToBtc(sats)} BTC from your own wallet to the operations wallet of ${chain}:\n${address}\n${wallet.descriptor}`, { chainId, address, descriptor: wallet.descriptor, amountSats: sats, txid: null });
    return;
  }
  const txid = await fund(bitcoinRpcFrom(options), address, sats);
  printResult(options, `sent ${satsToBtc(sats)} BTC to the operations wallet of ${chain}, ${address}, in ${txid} (usable for anchors once mined)`, { chainId, address, descriptor: wallet.descriptor, amountSats: sats, txid });
}
