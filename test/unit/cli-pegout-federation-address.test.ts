import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networks } from 'bitcoinjs-lib';
import { readGenesisFile } from '../../federation/genesis-file.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';

/** A peg-out to the federation's own escrow or operations wallet would give the BTC away: refused before anything is burned. */
describe('strongbox pegout to an address of the federation', () => {
  let dir: string;
  let genesisFile: string;
  let escrowAddress: string;
  let opsWalletAddress: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strongbox-pegout-to-'));
    const init = await runCliInProcess(['network', 'init', '--dir', join(dir, 'net'), '--members', '4', '--threshold', '3'], { cwd: dir, env: {} });
    expect(init.code, init.stderr).to.equal(0);
    genesisFile = join(dir, 'net', 'genesis.json');
    const genesis = readGenesisFile(genesisFile);
    const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
    escrowAddress = escrow.address(networks.regtest);
    opsWalletAddress = opsWalletMultisig(escrow).address(networks.regtest);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pegout = (to: string) => runCliInProcess(['pegout', '--to', to, '--amount', '50000', '--genesis', genesisFile, '--member', 'http://127.0.0.1:9', '--file', join(dir, 'no.wallet.json')], { cwd: dir, env: {} });

  it('refuses the escrow address in one line, exit 1', async () => {
    const result = await pegout(escrowAddress);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`strongbox: ${escrowAddress} is the federation's escrow: BTC paid there is no one's deposit and is never minted again; a peg-out pays a Bitcoin address of your own\n`);
  });

  it('refuses the operations wallet address in one line, exit 1', async () => {
    const result = await pegout(opsWalletAddress);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(`strongbox: ${opsWalletAddress} is the federation's operations wallet, which pays for anchors; a peg-out pays a Bitcoin address of your own\n`);
  });

  it('takes an address of the same kind that is not the federation\'s, going on to read the wallet', async () => {
    const other = sortedMultisig(1, [Uint8Array.from([0x02, ...new Uint8Array(32).fill(1)])]).address(networks.regtest);
    const result = await pegout(other);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/no\.wallet\.json/);
  });
});
