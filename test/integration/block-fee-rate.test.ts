import { expect } from 'chai';
import { Anchoring } from '../../federation/member/anchoring.ts';
import { proposedBitcoinRecords, verifyBitcoinRecords, type BitcoinSide } from '../../federation/member/block-bitcoin-records.ts';
import { FederationSigner } from '../../federation/member/federation-signer.ts';
import { DEFAULT_PEGOUT_OPTIONS, Pegout } from '../../federation/member/pegout.ts';
import type { Block } from '../../sidechain/block.ts';
import { applyTransaction, LedgerState } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { PegoutBody, Transaction } from '../../sidechain/transaction/types.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { testFederation } from '../helpers/genesis.ts';
import { bitcoinTxid, btcOutput } from '../helpers/ledger-fixtures.ts';
import { bitcoinDestination } from '../helpers/peg-workload.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { RecordingRpc } from '../helpers/recording-rpc.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { genesisParent, nextHeader } from '../helpers/signed-blocks.ts';
import { testWallet } from '../helpers/transactions.ts';

/**
 * A block holding both a peg-out settlement and an anchor, built and checked by one member on a
 * real regtest node: each record's fee needs the node's fee rate, and the block asks for it once.
 */
describe("a block's Bitcoin records are built and checked at one fee rate, asked of the node once", function () {
  this.timeout(120_000);
  const federation = testFederation(5, 4);
  const { genesis } = federation;
  let fixture: ChainFixture;
  let rpc: RecordingRpc;
  let side: BitcoinSide;
  const ledger = new LedgerState();
  /** The final block holding a deposit's mint and a burn of part of it: the tip the next block builds on. */
  let tip: { height: number; hash: Uint8Array; timeMs: bigint };

  /** The estimatesmartfee calls `step` makes, and what it returns. */
  async function feeRateAsks<T>(step: () => Promise<T>): Promise<{ result: T; asks: number }> {
    rpc.methods.length = 0;
    const result = await step();
    return { result, asks: rpc.methods.filter((method) => method === 'estimatesmartfee').length };
  }

  before(async () => {
    const { node, faucet } = await sharedRegtest();
    fixture = await chainFixture('block_fee_rate');
    const { store } = fixture;
    rpc = new RecordingRpc(node.rpcUrl);
    const { log } = capturedLog();
    const signer = new FederationSigner(genesis, rpc, { memberIndex: 0, pegPrivateKey: federation.keys[0]!.pegPrivateKey }, log);
    const anchoring = await Anchoring.start(genesis, rpc, store, signer, { afterMs: 600_000 }, log);
    // No batch window: the burn is due for settlement as soon as it is final.
    const pegout = await Pegout.start(genesis, rpc, store, signer, anchoring, { afterMs: 600_000 }, log, { ...DEFAULT_PEGOUT_OPTIONS, batchWindowMs: 0 });
    side = { rpc, genesis, pegout, anchoring };

    const alice = testWallet();
    const context = { chainId: genesis.chainId, height: 1 };
    const mint: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(1), bitcoinVout: 0, amount: 1_000_000n, recipient: alice.owner, witnesses: [] };
    applyTransaction(ledger, mint, context);
    const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: txInfo(mint).id, index: 0 }], outputs: [btcOutput(alice.owner, 900_000n)], destinationScript: bitcoinDestination().script, amount: 100_000n };
    const burn: Transaction = { ...body, witnesses: [keyWitness(genesis.chainId, body, alice.keys.seed)] };
    applyTransaction(ledger, burn, context);
    const header = nextHeader(genesis, genesisParent(genesis), [mint, burn]);
    pegout.blockFinal({ header, transactions: [mint, burn] });
    anchoring.blockFinal({ header, transactions: [mint, burn] });
    tip = { height: 1, hash: new Uint8Array(32).fill(7), timeMs: BigInt(Date.now()) };

    await faucet.fund(anchoring.walletView().address, 100_000n);
    await faucet.mine(1);
    await anchoring.poll(await rpc.getBestBlockHash());
  });
  after(async () => {
    await fixture?.drop();
  });

  it('a proposer builds a settlement and an anchor with one ask, and every member checks them with one ask', async () => {
    const built = await feeRateAsks(() => proposedBitcoinRecords(side, ledger, tip));
    expect(built.result.map((tx) => tx.kind)).to.deep.equal(['settlement', 'anchor']);
    expect(built.asks).to.equal(1);

    const block: Block = { header: nextHeader(genesis, tip, built.result), transactions: built.result };
    const checked = await feeRateAsks(() => verifyBitcoinRecords(side, block, tip.height + 1, ledger));
    expect(checked.asks).to.equal(1);
  });

  it('checking a block without a settlement or an anchor asks the node no fee rate', async () => {
    const block: Block = { header: nextHeader(genesis, tip, []), transactions: [] };
    const checked = await feeRateAsks(() => verifyBitcoinRecords(side, block, tip.height + 1, ledger));
    expect(checked.asks).to.equal(0);
  });
});
