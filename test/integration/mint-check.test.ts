import { expect } from 'chai';
import { mintAmount, PeginError, verifyMintOnBitcoin } from '../../federation/member/pegin.ts';
import { parseGenesis } from '../../sidechain/genesis.ts';
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

  /** A deposit of `sats` to a new recipient's deposit address, in the node's mempool, and its mint. */
  async function deposit(sats = amountSats, under = genesis): Promise<PeginBody> {
    const { node, faucet } = await sharedRegtest();
    const recipient = testWallet().owner;
    const script = depositMultisig(escrow, recipient);
    const { txid, vout } = await coinPaying(node.rpc, await faucet.fund(script.address(bitcoinNetwork('regtest')), sats), script.scriptPubKey);
    return { kind: 'pegin', bitcoinTxid: new Uint8Array(Buffer.from(txid, 'hex')), bitcoinVout: vout, amount: mintAmount(under, sats), recipient };
  }

  /** The check's outcome (its error's code, or "valid") and the RPC methods it called. */
  async function check(mint: PeginBody, under = genesis): Promise<{ outcome: string; methods: string[] }> {
    const { node } = await sharedRegtest();
    const rpc = new RecordingRpc(node.rpcUrl);
    const outcome = await verifyMintOnBitcoin(rpc, under, escrow, mint).then(
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

  describe('a confirmed deposit minted other than it was paid', () => {
    // A genesis that publishes a peg-in fee, so that a mint of the whole deposit is one too large.
    const withFee = parseGenesis({ ...genesis.file, pegin: { ...genesis.file.pegin, feeSats: '1000' } });
    let paid: PeginBody;
    before(async () => {
      const { faucet } = await sharedRegtest();
      paid = await deposit(amountSats, withFee);
      await faucet.mine(withFee.file.pegin.confirmations);
    });

    it('passes the deposit less the published fee', async () => {
      expect(paid.amount).to.equal(amountSats - 1000n);
      expect((await check(paid, withFee)).outcome).to.equal('valid');
    });

    const tamperings: [string, (mint: PeginBody) => PeginBody, string][] = [
      ['of the whole deposit, the fee not taken', (mint) => ({ ...mint, amount: amountSats }), 'pegin-amount'],
      ['of one satoshi more than the deposit less the fee', (mint) => ({ ...mint, amount: mint.amount + 1n }), 'pegin-amount'],
      ['of one satoshi less than the deposit less the fee', (mint) => ({ ...mint, amount: mint.amount - 1n }), 'pegin-amount'],
      ['to a recipient other than the one the address was derived for', (mint) => ({ ...mint, recipient: testWallet().owner }), 'pegin-script'],
      ['from an output the transaction does not have', (mint) => ({ ...mint, bitcoinVout: 7 }), 'pegin-unknown'],
    ];
    for (const [what, tamper, code] of tamperings) {
      it(`refuses a mint ${what} (${code})`, async () => {
        expect((await check(tamper(paid), withFee)).outcome).to.equal(code);
      });
    }

    it('refuses a mint of a confirmed deposit below the peg-in minimum (pegin-minimum), however small the mint', async () => {
      const { faucet } = await sharedRegtest();
      const minimum = BigInt(genesis.file.pegin.minimumSats);
      const small = await deposit(minimum - 1n);
      await faucet.mine(genesis.file.pegin.confirmations);
      expect((await check(small)).outcome).to.equal('pegin-minimum');
      expect((await check({ ...small, amount: 1n })).outcome).to.equal('pegin-minimum');
    });
  });
});
