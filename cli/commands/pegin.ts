import { Command } from 'commander';
import { addressPayload } from '../../sidechain/address.ts';
import { StrongboxError } from '../../sidechain/errors.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { MemberClient } from '../../federation/api/client.ts';
import { defaultDataDir, readNetworkFile } from '../../federation/local-network/network-file.ts';
import { genesisFrom, type NetworkOptions } from '../member-url.ts';
import { printResult } from '../output.ts';

export function peginAddressCommand(): Command {
  return new Command('pegin-address')
    .description('derive the Bitcoin deposit address bound to a sidechain address, and register it with the members')
    .argument('<sbx-address>', 'the sidechain address that receives the pegged BTC')
    .option('--member <url...>', 'member API URLs to register with (default: every member of the local network)')
    .option('--offline', 'only derive the address from the genesis file; register nowhere')
    .option('--genesis <file>', 'genesis file (default: $STRONGBOX_GENESIS_FILE or the local network)')
    .option('--data-dir <dir>', 'local network folder (default: $STRONGBOX_HOME or ./.strongbox)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', '\nExample:\n  strongbox pegin-address sbx1… \n  (then send BTC to the printed bcrt1… address; it is minted after the genesis confirmation depth)')
    .action(async (recipient: string, options: Omit<NetworkOptions, 'member'> & { member?: string[]; offline?: boolean; json?: boolean }) => {
      const payload = addressPayload(recipient);
      const genesis = genesisFrom({ genesis: options.genesis, dataDir: options.dataDir });
      // Derived here from public data alone, so no member has to be trusted for it.
      const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
      const depositAddress = depositMultisig(escrow, payload).address(bitcoinNetwork(genesis.file.bitcoinNetwork));
      const members = options.offline ? [] : (options.member ?? readNetworkFile(options.dataDir ?? defaultDataDir()).members.map((member) => member.apiUrl));
      const registered: string[] = [];
      for (const url of members) {
        const answer = await new MemberClient(url).registerDepositAddress(recipient);
        if (answer !== depositAddress) throw new StrongboxError('pegin-mismatch', `member ${url} derived ${answer}, not ${depositAddress}: do not use it`);
        registered.push(url);
      }
      const confirmations = genesis.file.pegin.confirmations;
      printResult(
        options,
        `${depositAddress}\nsend BTC there; ${recipient} receives it minus ${genesis.file.pegin.feeSats} sats fee after ${confirmations} confirmations (minimum ${genesis.file.pegin.minimumSats} sats)${registered.length ? `\nregistered with ${registered.length} members` : ''}`,
        { recipient, depositAddress, confirmations, feeSats: genesis.file.pegin.feeSats, minimumSats: genesis.file.pegin.minimumSats, registeredWith: registered },
      );
    });
}
