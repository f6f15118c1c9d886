import { existsSync } from 'node:fs';
import { publicKeysOf, readKeyFile } from '../../federation/key-file.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { GENESIS_ONLY, genesisFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';
import { defaultDataDir, networkFilePath } from '../../federation/local-network/network-file.ts';

/** Whether a genesis is named (--genesis, $STRONGBOX_GENESIS_FILE) or a local network holds one. */
function genesisAvailable(options: Omit<NetworkOptions, 'member'>): boolean {
  return (options.genesis ?? process.env.STRONGBOX_GENESIS_FILE) !== undefined || existsSync(networkFilePath(options.dataDir ?? defaultDataDir()));
}

export function showInfo(options: Omit<NetworkOptions, 'member'> & { key?: string; json?: boolean }): void {
  if (options.key && !genesisAvailable(options)) {
    // Before a ceremony there is no genesis yet: the operator reads out the key's public keys.
    const keys = publicKeysOf(readKeyFile(options.key));
    const human = [`block public key: ${keys.blockPublicKey}`, `peg public key:   ${keys.pegPublicKey}`, 'no genesis given: with --genesis this also shows the key file\'s seat'];
    return printResult(options, human.join('\n'), keys);
  }
  const genesis = genesisFrom(options, GENESIS_ONLY);
  const { file } = genesis;
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const chainId = Buffer.from(genesis.chainId).toString('hex');
  const escrowView = { descriptor: escrow.descriptor, address: escrow.address(bitcoinNetwork(file.bitcoinNetwork)) };
  const opsWallet = opsWalletMultisig(escrow);
  const opsWalletView = { descriptor: opsWallet.descriptor, address: opsWallet.address(bitcoinNetwork(file.bitcoinNetwork)) };
  let seat: { memberIndex: number; name: string; blockPublicKey: string; pegPublicKey: string } | undefined;
  if (options.key) {
    const keys = publicKeysOf(readKeyFile(options.key));
    const memberIndex = file.members.findIndex((member) => member.blockKey === keys.blockPublicKey && member.pegKey === keys.pegPublicKey);
    if (memberIndex < 0) throw new StrongboxError('not-a-member', `the keys in ${options.key} (block ${keys.blockPublicKey}) are not a member of this genesis`);
    seat = { memberIndex, name: file.members[memberIndex]!.name, ...keys };
  }
  const human = [
    `network          ${file.network} (Bitcoin ${file.bitcoinNetwork})`,
    `chain id         ${chainId}`,
    `members          ${file.members.length}, ${file.threshold} sign each block`,
    ...file.members.map((member, index) => `  ${index} ${member.name.padEnd(12)} block key ${member.blockKey}  peg key ${member.pegKey}`),
    `peg-in           minted after ${file.pegin.confirmations} confirmations, fee ${file.pegin.feeSats} sats, minimum ${file.pegin.minimumSats} sats`,
    `peg-out          minimum ${file.pegout.minimumSats} sats, fallback fee rate ${file.pegout.fallbackFeeRateSatPerVb} sat/vB, circuit breaker ${file.pegout.circuitBreakerBasisPoints / 100} % of reserves an hour`,
    `anchors          every ${file.anchor.intervalBlocks} blocks or ${file.anchor.intervalSeconds} s`,
    `escrow           ${escrowView.descriptor}`,
    `                 ${escrowView.address}`,
    `ops wallet       ${opsWalletView.descriptor}`,
    `                 ${opsWalletView.address} (pays anchor fees; never holds peg reserves)`,
    ...(seat ? [`your key file    member ${seat.memberIndex} (${seat.name})`] : []),
  ];
  printResult(options, human.join('\n'), { chainId, ...file, escrow: escrowView, opsWallet: opsWalletView, ...(seat ? { seat } : {}) });
}
