import { expect } from 'chai';
import { Anchoring } from '../../federation/member/anchoring.ts';
import { currentFeeRate, feeRateOfBlock } from '../../federation/member/fee-rate.ts';
import { FederationSigner } from '../../federation/member/federation-signer.ts';
import { decodeUnsignedBitcoinTx } from '../../sidechain/bitcoin-tx.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { multisigTxVsize } from '../../watcher/federation-psbt.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { testFederation } from '../helpers/genesis.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { RecordingRpc } from '../helpers/recording-rpc.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { genesisParent, nextHeader } from '../helpers/signed-blocks.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';

/**
 * A proposer's anchor, built on a real regtest node while one is due (activity since genesis,
 * whose time is long past the interval): what the build asks the node, and what it records.
 */
describe('an anchor proposal asks the Bitcoin node only what can pay an anchor', function () {
  this.timeout(120_000);
  const federation = testFederation(5, 4);
  const tip = { height: 1, hash: new Uint8Array(32).fill(7) };
  let fixture: ChainFixture;
  let rpc: RecordingRpc;
  let anchoring: Anchoring;
  let lines: Record<string, unknown>[];

  /** The anchor records one build proposes, and the RPC methods it called. */
  async function build(): Promise<{ records: Transaction[]; methods: string[] }> {
    rpc.methods.length = 0;
    const records = await anchoring.pendingAnchor(tip, BigInt(Date.now()), [], feeRateOfBlock(rpc, federation.genesis));
    return { records, methods: [...rpc.methods] };
  }

  before(async () => {
    const { node } = await sharedRegtest();
    fixture = await chainFixture('anchoring_proposal');
    const { store } = fixture;
    rpc = new RecordingRpc(node.rpcUrl);
    const captured = capturedLog();
    lines = captured.lines;
    const signer = new FederationSigner(federation.genesis, rpc, { memberIndex: 0, pegPrivateKey: federation.keys[0]!.pegPrivateKey }, captured.log);
    anchoring = await Anchoring.start(federation.genesis, rpc, store, signer, { afterMs: 600_000 }, captured.log);
    const activity = [issuance(federation.genesis.chainId, testWallet(), 1_000n).tx];
    anchoring.blockFinal({ header: nextHeader(federation.genesis, genesisParent(federation.genesis), activity), transactions: activity });
    await anchoring.poll(await rpc.getBestBlockHash());
  });
  after(async () => {
    await fixture?.drop();
  });

  it('asks the node nothing while the operations wallet is empty, and says once that no anchor is possible', async () => {
    const first = await build();
    const second = await build();

    expect(first).to.deep.equal({ records: [], methods: [] });
    expect(second).to.deep.equal({ records: [], methods: [] });
    const refusals = lines.filter((line) => line.msg === 'anchor not possible');
    expect(refusals).to.have.length(1);
    expect(refusals[0]!.reason).to.match(/operations wallet .* has no coin; fund it with strongbox anchor fund/);
  });

  it('once the wallet is funded, records an anchor of the tip paid at the fee rate the node gives', async () => {
    const { node, faucet } = await sharedRegtest();
    const funding = await faucet.fund(anchoring.walletView().address, 100_000n);
    await faucet.mine(1);
    await anchoring.poll(await rpc.getBestBlockHash());

    const { records, methods } = await build();

    expect(methods.filter((method) => method === 'estimatesmartfee')).to.have.length(1);
    expect(records).to.have.length(1);
    const record = records[0]!;
    if (record.kind !== 'anchor') throw new Error(`expected an anchor record, got ${record.kind}`);
    expect(record.height).to.equal(tip.height);
    expect(Buffer.from(record.blockHash).equals(Buffer.from(tip.hash))).to.equal(true);
    const spent = decodeUnsignedBitcoinTx(record.bitcoinTx);
    expect(spent.inputs.map((input) => input.txid)).to.deep.equal([funding]);
    const feeRate = await currentFeeRate(node.rpc, federation.genesis);
    const fee = 100_000n - spent.outputs.reduce((sum, output) => sum + output.value, 0n);
    const vsize = BigInt(multisigTxVsize(anchoring.wallet, 1, spent.outputs.map((output) => output.script)));
    expect(fee).to.equal(feeRate * vsize);
  });
});
