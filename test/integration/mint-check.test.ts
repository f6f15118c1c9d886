import { expect } from 'chai';
import { mintAmount, PeginError, verifyMintOnBitcoin } from '../../federation/member/pegin.ts';
import type { PeginBody } from '../../sidechain/transaction/types.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { depositMultisig } from '../../watcher/pegin-tweak.ts';
import { coinPaying } from '../helpers/bitcoin-spends.ts';
import { testFederation } from '../helpers/genesis.ts';
import { RecordingRpc } from '../helpers/recording-rpc.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { testWallet } from '../helpers/transactions.ts';

/** A proposer checks each mint it puts in its block against its own node, and the round waits for that check. */
describe('a mint checked against the Bitcoin node', function () {
  this.timeout(60_000);
  const { genesis } = testFederation(5, 4);
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const amountSats = 50_000n;

  /** A deposit of `amountSats` to a new recipient's deposit address, in the node's mempool, and its mint. */
  async function deposit(): Promise<PeginBody> {
    const { node, faucet } = await sharedRegtest();
    const recipient = testWallet().owner;
    const script = depositMultisig(escrow, recipient);
    const { txid, vout } = await coinPaying(node.rpc, await faucet.fund(script.address(bitcoinNetwork('regtest')), amountSats), script.scriptPubKey);
    return { kind: 'pegin', bitcoinTxid: new Uint8Array(Buffer.from(txid, 'hex')), bitcoinVout: vout, amount: mintAmount(genesis, amountSats), recipient };
  }

  /** The check's outcome (its error's code, or "valid") and the RPC methods it called. */
  async function check(mint: PeginBody): Promise<{ outcome: string; methods: string[] }> {
    const { node } = await sharedRegtest();
    const rpc = new RecordingRpc(node.rpcUrl);
    const outcome = await verifyMintOnBitcoin(rpc, genesis, escrow, mint).then(
      () => 'valid',
      (error: unknown) => {
        if (!(error instanceof PeginError)) throw error;
        return error.code;
      },
    );
    return { outcome, methods: rpc.methods };
  }

  it('passes a deposit with the confirmations the genesis requires, reading it in one call', async () => {
    const { faucet } = await sharedRegtest();
    const mint = await deposit();
    await faucet.mine(genesis.file.pegin.confirmations);

    expect(await check(mint)).to.deep.equal({ outcome: 'valid', methods: ['getrawtransaction'] });
  });

  it('refuses a deposit one confirmation short, and one the node does not know, each in one call', async () => {
    const { faucet } = await sharedRegtest();
    const mint = await deposit();
    await faucet.mine(genesis.file.pegin.confirmations - 1);

    expect(await check(mint)).to.deep.equal({ outcome: 'pegin-unconfirmed', methods: ['getrawtransaction'] });
    expect(await check({ ...mint, bitcoinTxid: new Uint8Array(32).fill(0x11) })).to.deep.equal({ outcome: 'pegin-unknown', methods: ['getrawtransaction'] });
  });
});
