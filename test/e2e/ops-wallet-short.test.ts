import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { networks, payments } from 'bitcoinjs-lib';
import { ECPairFactory } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { memberDir } from '../../federation/local-network/ceremony.ts';
import { startTestNetwork, eventually, UNBATCHED_PEGOUTS, type TestNetwork } from '../helpers/local-network.ts';
import { testWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';
import { pegIn } from '../helpers/pegged-btc.ts';
import { anyTestFailed, stopKeepingFolderOnFailure } from '../helpers/faults.ts';

const ECPair = ECPairFactory(ecc);

/**
 * A fee bump or an anchor the operations wallet cannot pay, on five member processes and a real
 * regtest node: every member finds for itself that the record cannot be built, so none wakes
 * consensus for it and the chain makes no empty block; once the wallet can pay, the record follows.
 */
describe('records the operations wallet cannot pay make no block', function () {
  this.timeout(300_000);
  let net: TestNetwork;
  let rpc: BitcoinRpc;
  let faucet: Faucet;
  let folder: string;
  /** The height of the block recording the stuck settlement: the last block with work in it. */
  let settledAt: number;

  before(async () => {
    net = await startTestNetwork(5, {
      // Anchors fall due a second after activity; intervalBlocks is out of reach.
      genesis: (file) => ({ ...file, anchor: { intervalBlocks: 1_000, intervalSeconds: 1 } }),
      memberEnv: { ...UNBATCHED_PEGOUTS, STRONGBOX_FEE_BUMP_AFTER_SECONDS: '2' },
    });
    rpc = new BitcoinRpc(net.network.network.bitcoinRpcUrl);
    faucet = new Faucet(rpc);
    folder = mkdtempSync(join(tmpdir(), 'strongbox-ops-wallet-short-'));
  });
  after(async function () {
    await stopKeepingFolderOnFailure(net, anyTestFailed(this.test?.parent));
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const url = (member: number) => net.network.network.members[member]!.apiUrl;
  const heights = async () => Promise.all(net.clients.map(async (client) => (await client.status()).height));
  /** The members whose log says `message` for a reason that includes `reason`. */
  const membersLogging = (message: string, reason: string) =>
    net.clients
      .map((_, index) => index)
      .filter((index) =>
        readFileSync(join(memberDir(net.network.dataDir, index), 'member.log'), 'utf8')
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { msg: string; reason?: string })
          .some((line) => line.msg === message && line.reason?.includes(reason)),
      );

  it('makes no block for a fee bump of a stuck peg-out while the operations wallet is empty', async () => {
    const wallet = testWallet();
    await pegIn(net, [{ address: wallet.address, sats: 2_000_000n }]);
    const file = join(folder, 'user.wallet.json');
    writeFileSync(file, JSON.stringify({ version: 1, seed: Buffer.from(wallet.keys.seed).toString('hex') }), { mode: 0o600 });
    const destination = payments.p2wpkh({ pubkey: ECPair.makeRandom({ network: networks.regtest }).publicKey, network: networks.regtest });
    const burned = await runCli(['pegout', '--to', destination.address!, '--amount', '250000', '--file', file, '--json', '--member', url(0), '--genesis', net.network.network.genesisFile!]);
    expect(burned.code, burned.stderr).to.equal(0);
    const burnTxid = (JSON.parse(burned.stdout) as { txid: string }).txid;
    // No Bitcoin block is mined: after the bump delay the settlement is stuck, and every member would bump it.
    const settlementTxid = await eventually('the settlement in the mempool', async () => {
      const status = await net.clients[0]!.burnStatus(burnTxid);
      return status.bitcoinTxid && (await rpc.getTransactionConfirmations(status.bitcoinTxid)) === 0 && status.bitcoinTxid;
    }, 60_000);
    settledAt = (await net.clients[0]!.bitcoinRecord(settlementTxid)).height;
    await eventually('every member finds it cannot pay the bump', async () => membersLogging('peg-out fee bump not possible', 'has no coin').length === net.clients.length, 60_000);
    // Each found it on its own: no member woke consensus for the bump, so no block followed the settlement's.
    expect(await heights()).to.deep.equal(Array(net.clients.length).fill(settledAt));
  });

  it('makes no block for an anchor while the operations wallet holds only a coin too small to pay one', async () => {
    const opsAddress = (await net.clients[0]!.opsWallet()).address;
    // 600 sats: an anchor's fee at the fallback rate (2 sat/vB, some 266 vB) leaves change below dust.
    await faucet.fund(opsAddress, 600n);
    await faucet.mine(1);
    await eventually('every member sees the coin', async () => (await Promise.all(net.clients.map((client) => client.opsWallet()))).every((view) => view.balanceSats === '600'), 30_000);
    await eventually('every member finds it cannot pay the anchor', async () => membersLogging('anchor not possible', 'holds 600 sats, too little').length === net.clients.length, 60_000);
    expect(await heights()).to.deep.equal(Array(net.clients.length).fill(settledAt));
  });

  it('records the anchor once the operations wallet can pay it, in a block of its own', async () => {
    const opsAddress = (await net.clients[0]!.opsWallet()).address;
    await faucet.fund(opsAddress, 100_000n);
    await faucet.mine(1);
    const anchor = await eventually('an anchor recorded', async () => (await net.clients[0]!.anchors({ limit: 10 })).anchors[0], 60_000);
    expect(anchor.height).to.equal(settledAt);
    expect(anchor.recordHeight).to.equal(settledAt + 1);
  });
});
