import { expect } from 'chai';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { Faucet } from '../../regtest/faucet.ts';
import { BTC_ASSET_KEY } from '../../sidechain/asset.ts';
import { startTestNetwork, type TestNetwork } from '../helpers/local-network.ts';
import { testWallet } from '../helpers/transactions.ts';
import { runCli } from '../helpers/cli.ts';

/** BTC sent to a recipient's deposit address becomes pegged BTC on every member, exactly once. */
describe('peg-in through five member processes and a real regtest node', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let faucet: Faucet;

  before(async () => {
    net = await startTestNetwork(5);
    faucet = new Faucet(new BitcoinRpc(net.network.network.bitcoinRpcUrl));
  });
  after(() => net?.stop());

  const btcBalances = (address: string) => Promise.all(net.clients.map(async (client) => (await client.balances(address)).find((b) => b.asset === BTC_ASSET_KEY)?.amount ?? 0n));

  it('mints a deposit after the confirmation depth and not before, once per outpoint', async () => {
    const alice = testWallet();
    const registered = await runCli(['pegin-address', alice.address, '--json', '--genesis', net.network.network.genesisFile!, '--member', ...net.network.network.members.map((m) => m.apiUrl)]);
    expect(registered.code, registered.stderr).to.equal(0);
    const { depositAddress, confirmations } = JSON.parse(registered.stdout) as { depositAddress: string; confirmations: number };
    expect(depositAddress).to.match(/^bcrt1q/);
    expect(confirmations).to.equal(2);
    const offline = JSON.parse((await runCli(['pegin-address', alice.address, '--offline', '--json', '--genesis', net.network.network.genesisFile!])).stdout) as { depositAddress: string };
    expect(offline.depositAddress).to.equal(depositAddress);

    await faucet.fund(depositAddress, 1_000_000n);
    await faucet.mine(1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await btcBalances(alice.address), 'nothing minted at 1 confirmation').to.deep.equal([0n, 0n, 0n, 0n, 0n]);

    await faucet.mine(1);
    const deadline = Date.now() + 30_000;
    while ((await btcBalances(alice.address)).some((balance) => balance !== 1_000_000n)) {
      if (Date.now() > deadline) throw new Error(`not minted on every member: ${await btcBalances(alice.address)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    await faucet.fund(depositAddress, 250_000n);
    await faucet.mine(3);
    const second = Date.now() + 30_000;
    while ((await btcBalances(alice.address)).some((balance) => balance !== 1_250_000n)) {
      if (Date.now() > second) throw new Error(`second deposit not minted on every member: ${await btcBalances(alice.address)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await faucet.mine(5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await btcBalances(alice.address), 'still exactly two mints').to.deep.equal(Array(5).fill(1_250_000n));
  });

  it('publishes the same escrow descriptor on every member', async () => {
    const escrows = await Promise.all(net.clients.map(async (client) => ((await fetch(`${client.baseUrl}/escrow`)).json()) as Promise<{ descriptor: string; threshold: number }>));
    expect(new Set(escrows.map((e) => e.descriptor)).size).to.equal(1);
    expect(escrows[0]!.descriptor).to.match(/^wsh\(sortedmulti\(4,(0[23][0-9a-f]{64},){4}0[23][0-9a-f]{64}\)\)#[a-z0-9]{8}$/);
  });
});
