import { relative } from 'node:path';
import { EXPLORER_PATH } from '../federation/explorer/path.ts';
import type { DemoWallet } from '../federation/local-network/demo-wallet.ts';
import { defaultDataDir, type NetworkFile } from '../federation/local-network/network-file.ts';
import { satsToBtc } from '../watcher/btc-amount.ts';

export interface UpSummary {
  dataDir: string;
  seconds: string;
  network: NetworkFile;
  postgresPort: number;
  escrow: { descriptor: string; address: string };
  demoWallet: DemoWallet;
}

export const explorerUrl = (network: NetworkFile) => `${network.members[0]!.apiUrl}${EXPLORER_PATH}/`;

/** A path as the user typed it from here: relative when it is below the current folder. */
function shown(path: string): string {
  const below = relative(process.cwd(), path);
  return below && !below.startsWith('..') ? below : path;
}

/** What `strongbox up` prints once the network serves: where everything is, and what to try next. */
export function upSummary(summary: UpSummary): string {
  const { network, demoWallet } = summary;
  const wallet = shown(demoWallet.file);
  // Only this start's own deposit can be waiting for its mint; a wallet of an earlier start may have been spent.
  const waiting = demoWallet.balanceSats === 0n && demoWallet.depositTxid !== undefined;
  const funded = waiting ? `deposit ${demoWallet.depositTxid} not minted yet` : `${satsToBtc(demoWallet.balanceSats)} pegged BTC`;
  // Other commands find this network through ./.strongbox or $STRONGBOX_HOME; say so when neither points here.
  const home = summary.dataDir === defaultDataDir() ? [] : [`  export STRONGBOX_HOME=${summary.dataDir}`];
  return [
    `Strongbox local network is up (${summary.seconds} s), data in ${shown(summary.dataDir)}`,
    '',
    `  Explorer        ${explorerUrl(network)}`,
    ...network.members.map((member) => `  Member ${member.memberIndex} API    ${member.apiUrl}   (log: ${shown(`${summary.dataDir}/member-${member.memberIndex}/member.log`)})`),
    `  Bitcoin RPC     ${network.bitcoinRpcUrl.replace(/\/\/[^@]*@/, '//')}   (regtest; credentials in ${shown(`${summary.dataDir}/network.json`)})`,
    `  Postgres        127.0.0.1:${summary.postgresPort}`,
    ...(network.genesisFile ? [`  Genesis         ${shown(network.genesisFile)}   (what an audit starts from: ./bin/strongbox.js audit)`] : []),
    `  Escrow          ${summary.escrow.descriptor}`,
    `                  ${summary.escrow.address}`,
    `  Demo wallet     ${wallet}  ${demoWallet.address}  (${funded})`,
    '',
    'Try next:',
    ...home,
    `  ./bin/strongbox.js wallet show --file ${wallet}`,
    '  ./bin/strongbox.js wallet new --file bob.wallet.json',
    `  ./bin/strongbox.js send --to <bob's sbx1… address> --amount 250000 --file ${wallet}`,
    `  ./bin/strongbox.js issue --name "Acme AB" --isin SE0000108656 --supply 1000 --file ${wallet}`,
    `  ./bin/strongbox.js pegin-address <sbx1… address>      then: ./bin/strongbox.js regtest fund <bcrt1… address> 0.5 && ./bin/strongbox.js regtest mine 2`,
    `  ./bin/strongbox.js pegout --to $(./bin/strongbox.js regtest address) --amount 250000 --file ${wallet}   then: ./bin/strongbox.js regtest mine 1 && ./bin/strongbox.js pegout status <burn txid>`,
    '  ./bin/strongbox.js anchors                             (the chain\'s block hashes written into Bitcoin)',
    `  curl ${network.members[0]!.apiUrl}/status`,
    '',
    'Press Ctrl-C to stop.',
  ].join('\n');
}
