import { expect } from 'chai';
import { Anchoring } from '../../federation/member/anchoring.ts';
import { feeRateOfBlock } from '../../federation/member/fee-rate.ts';
import { FederationSigner } from '../../federation/member/federation-signer.ts';
import { decodeUnsignedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { BitcoinRpc } from '../../watcher/rpc.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { testFederation } from '../helpers/genesis.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { genesisParent, nextHeader, type BlockParent } from '../helpers/signed-blocks.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

/**
 * The next anchor spends the last one's change, so it waits until that anchor is on the member's
 * node. The member that broadcast it knows so from the node's answer: the anchor of new activity is
 * pending as that signing step ends, not one step later.
 */
describe('an anchor of new activity is pending once the last anchor is broadcast', function () {
  this.timeout(120_000);
  const federation = testFederation(5, 4);
  let fixture: ChainFixture;

  after(async () => {
    await fixture?.drop();
  });

  it('falls due an interval after the last record, and is pending right after the tick that broadcast the last anchor', async () => {
    const { node, faucet } = await sharedRegtest();
    fixture = await chainFixture('anchor_after_broadcast');
    const rpc = new BitcoinRpc(node.rpcUrl);
    const { log } = capturedLog();
    const signers = federation.keys.slice(0, federation.genesis.members.threshold).map((keys, memberIndex) => new FederationSigner(federation.genesis, rpc, { memberIndex, pegPrivateKey: keys.pegPrivateKey }, log));
    const own = signers[0]!;
    const anchoring = await Anchoring.start(federation.genesis, rpc, fixture.store, own, { afterMs: 600_000 }, log);
    let parent: BlockParent = genesisParent(federation.genesis);
    const final = (transactions: Transaction[]) => {
      const header = nextHeader(federation.genesis, parent, transactions);
      anchoring.blockFinal({ header, transactions });
      parent = { height: header.height, hash: new Uint8Array(32).fill(header.height), timeMs: header.timeMs };
    };
    final([issuance(federation.genesis.chainId, testWallet(), 1_000n).tx]);
    await faucet.fund(anchoring.walletView().address, 100_000n);
    await faucet.mine(1);
    await anchoring.poll(await rpc.getBestBlockHash());
    const [record] = await anchoring.pendingAnchor(parent, BigInt(Date.now()), [], feeRateOfBlock(rpc, federation.genesis));
    if (record?.kind !== 'anchor') throw new Error('expected an anchor record of the first activity');
    final([record]);
    const recordTimeMs = parent.timeMs;
    expect(anchoring.dueAtMs(), 'nothing to anchor after the record').to.equal(undefined);
    final([issuance(federation.genesis.chainId, testWallet(), 1_000n).tx]);
    expect(anchoring.dueAtMs(), 'the interval from the record on').to.equal(recordTimeMs + BigInt(federation.genesis.file.anchor.intervalSeconds) * 1000n);
    await anchoring.prepare(parent, feeRateOfBlock(rpc, federation.genesis));
    expect(anchoring.hasPendingAnchor(parent.height), 'before its anchor is out, the change cannot be spent').to.equal(false);

    // The other members sign the recorded transaction and send their signatures to this one.
    const input = decodeUnsignedBitcoinTx(record.bitcoinTx).inputs[0]!;
    const coin = anchoring.known(`${input.txid}:${input.vout}`)!;
    const bitcoinTxid = Buffer.from(record.bitcoinTxid).toString('hex');
    for (const [index, signer] of signers.entries()) {
      if (index === 0) continue;
      signer.onSignatures((psbt) => own.receiveSignatures(index, psbt));
      signer.add({ bitcoinTxid, bitcoinTx: record.bitcoinTx, coins: [coin], what: 'anchor', check: async () => {} });
      await signer.tick();
    }
    await own.tick();

    expect(await rpc.getTransactionConfirmations(bitcoinTxid)).to.equal(0);
    expect(own.status(bitcoinTxid)?.confirmations).to.equal(0);
    await anchoring.prepare(parent, feeRateOfBlock(rpc, federation.genesis));
    expect(anchoring.hasPendingAnchor(parent.height)).to.equal(true);
  });
});
