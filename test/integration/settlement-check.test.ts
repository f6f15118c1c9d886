import { expect } from 'chai';
import { Transaction as BitcoinTransaction } from 'bitcoinjs-lib';
import { PegoutError } from '../../federation/member/pegout.ts';
import { planPayableBatch } from '../../federation/member/pegout-batch.ts';
import { applyTransaction, LedgerOverlay, type LedgerReader } from '../../sidechain/ledger/index.ts';
import { txInfo } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { PegoutBody, SettlementBody, Transaction } from '../../sidechain/transaction/types.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { WALLET_DUST_SATS } from '../../watcher/cpfp.ts';
import { multisigTxVsize } from '../../watcher/federation-psbt.ts';
import { opsWalletMultisig } from '../../watcher/ops-wallet.ts';
import { coinPaying } from '../helpers/bitcoin-spends.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { chainFixture, type ChainFixture } from '../helpers/chain-fixture.ts';
import { testFederation } from '../helpers/genesis.ts';
import { bitcoinTxid, btcOutput } from '../helpers/ledger-fixtures.ts';
import { memberPegout } from '../helpers/member-pegout.ts';
import { bitcoinDestination } from '../helpers/peg-workload.ts';
import { ADVERSARY_SCRIPT } from '../helpers/tampering.ts';
import { testWallet } from '../helpers/transactions.ts';

type Settlement = SettlementBody & Transaction;

/** The settlement with its Bitcoin transaction changed by `change`, its txid that of the new transaction. */
function rewritten(settlement: Settlement, change: (bitcoin: BitcoinTransaction) => void): Settlement {
  const bitcoin = BitcoinTransaction.fromBuffer(Buffer.from(settlement.bitcoinTx));
  change(bitcoin);
  return { ...settlement, bitcoinTx: new Uint8Array(bitcoin.toBuffer()), bitcoinTxid: new Uint8Array(Buffer.from(bitcoin.getId(), 'hex')) };
}

/**
 * Before it signs a block, each member checks every settlement in it against its own view of the
 * escrow, beyond the ledger's rules: it spends only escrow coins, returns exactly what the burns
 * leave to the escrow, pays a fee within its bounds, and stays within the circuit breaker unless
 * its operator approved. A settlement the ledger would take but that fails one of these is refused,
 * so no quorum of honest members signs it.
 */
describe("a member's own check of a proposed settlement", function () {
  this.timeout(120_000);
  const federation = testFederation(5, 4);
  const { genesis } = federation;
  const feeRate = async () => BigInt(genesis.file.pegout.fallbackFeeRateSatPerVb);
  let fixture: ChainFixture;
  let member: Awaited<ReturnType<typeof memberPegout>>;
  let honest: Settlement;
  let burn: Transaction;

  /** A final mint of 1,000,000 sats to alice, her final burn of 100,000, and the settlement member 0 proposes for it. */
  before(async () => {
    fixture = await chainFixture('settlement_check');
    member = await memberPegout(federation, fixture.store, 0);
    const alice = testWallet();
    const mint: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(3), bitcoinVout: 0, amount: 1_000_000n, recipient: alice.owner, witnesses: [] };
    // 100,000 of 1,000,000 sats in reserves: within the circuit breaker's quarter an hour.
    const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: txInfo(mint).id, index: 0 }], outputs: [btcOutput(alice.owner, 900_000n)], destinationScript: bitcoinDestination().script, amount: 100_000n };
    burn = { ...body, witnesses: [keyWitness(genesis.chainId, body, alice.keys.seed)] };
    member.final([mint]);
    member.final([burn]);
    const [settlement] = await member.pegout.pendingSettlement(member.ledger, BigInt(Date.now()), feeRate);
    expect(settlement?.kind).to.equal('settlement');
    honest = settlement as Settlement;
  });

  after(async () => {
    await fixture?.drop();
  });

  const verify = (settlement: Transaction, ledger: LedgerReader = member.ledger) => member.pegout.verifySettlements([settlement], ledger, BigInt(Date.now()), feeRate);

  async function refusal(settlement: Transaction): Promise<PegoutError> {
    const error = await verify(settlement).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error, 'refused').to.be.instanceOf(PegoutError);
    return error as PegoutError;
  }

  it("passes the proposer's own settlement of the burn", async () => {
    await verify(honest);
  });

  const tamperings: [string, (bitcoin: BitcoinTransaction) => void, string, RegExp][] = [
    ['an input that is not an escrow coin', (bitcoin) => bitcoin.addInput(Buffer.from(bitcoinTxid(9)), 1), 'pegout-coin', /is not an unspent escrow coin/],
    ['no change, the rest left to the miners', (bitcoin) => bitcoin.outs.splice(1, 1), 'pegout-change', /change is 0 sats, must be exactly \d+/],
    ['the change to a script not the escrow', (bitcoin) => (bitcoin.outs[1]!.script = ADVERSARY_SCRIPT), 'pegout-change', /the change does not return to the escrow/],
    ['the change 1,000 sats short, paid as fee', (bitcoin) => (bitcoin.outs[1]!.value -= 1_000n), 'pegout-change', /must be exactly \d+/],
    ['a fee share of 40,000 sats, above the fee rate this member allows', (bitcoin) => (bitcoin.outs[0]!.value = 60_000n), 'pegout-fee', /fee 40000 sats for \d+ vB is outside 1\.\.8 sat\/vB/],
    ['no fee at all, below 1 sat/vB', (bitcoin) => (bitcoin.outs[0]!.value = 100_000n), 'pegout-fee', /fee 0 sats for \d+ vB is outside 1\.\.8 sat\/vB/],
  ];
  for (const [what, change, code, message] of tamperings) {
    it(`refuses a settlement with ${what} (${code})`, async () => {
      const error = await refusal(rewritten(honest, change));
      expect(error.code).to.equal(code);
      expect(error.message).to.match(message);
    });
  }

  it('refuses a settlement of a burn this chain does not hold, or of one a settlement already paid (pegout-burn)', async () => {
    expect((await refusal({ ...honest, burns: [bitcoinTxid(11)] })).code).to.equal('pegout-burn');
    // The chain as it stands once the honest settlement is final: its burn is paid.
    const settled = new LedgerOverlay(member.ledger);
    applyTransaction(settled, honest, { chainId: genesis.chainId, height: 3 });
    const error = await verify(honest, settled).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(PegoutError).with.property('code', 'pegout-burn');
  });

  it("refuses a settlement paying past the circuit breaker what this member's operator has not approved (circuit-breaker), and passes it once approved", async () => {
    // A deposit of 500,000 sats burned whole: beyond a quarter of the 1,500,000 then in reserves within the hour.
    const alice = testWallet();
    const mint: Transaction = { kind: 'pegin', bitcoinTxid: bitcoinTxid(4), bitcoinVout: 0, amount: 500_000n, recipient: alice.owner, witnesses: [] };
    const body: PegoutBody = { kind: 'pegout', inputs: [{ txid: txInfo(mint).id, index: 0 }], outputs: [], destinationScript: bitcoinDestination().script, amount: 500_000n };
    const large: Transaction = { ...body, witnesses: [keyWitness(genesis.chainId, body, alice.keys.seed)] };
    member.final([mint]);
    member.final([large]);
    const record = member.ledger.getBurn(txInfo(large).idHex)!;
    const { plan } = planPayableBatch(member.pegout.escrow, member.pegout.coins.list(), [record], await feeRate());
    const settlement: Transaction = { kind: 'settlement', burns: [txInfo(large).id], bitcoinTxid: new Uint8Array(Buffer.from(plan!.txid, 'hex')), bitcoinTx: plan!.bitcoinTx, witnesses: [] };
    const error = await refusal(settlement);
    expect(error.code).to.equal('circuit-breaker');
    expect(error.message).to.include(txInfo(large).idHex);
    await fixture.store.approveBurns([txInfo(large).id]);
    expect(await member.pegout.refreshApprovals()).to.equal(true);
    await verify(settlement);
  });

  describe('a fee bump of a final settlement waiting for a block', () => {
    let change: { txid: string; vout: number; value: bigint };
    before(() => {
      member.final([honest]);
      const txid = Buffer.from(honest.bitcoinTxid).toString('hex');
      change = member.pegout.coins.list().find((coin) => coin.txid === txid)!;
    });

    /** A fee bump record spending `spent` and the operations-wallet coin `paying` into `outputs`. */
    function bumpPaidBy(paying: { txid: string; vout: number }, spent: { txid: string; vout: number }, outputs: { script: Uint8Array; value: bigint }[]): Transaction {
      const bitcoin = new BitcoinTransaction();
      bitcoin.version = 2;
      bitcoin.addInput(Buffer.from(spent.txid, 'hex').reverse(), spent.vout);
      bitcoin.addInput(Buffer.from(paying.txid, 'hex').reverse(), paying.vout);
      for (const output of outputs) bitcoin.addOutput(output.script, output.value);
      return { kind: 'settlement', burns: [], bitcoinTxid: new Uint8Array(Buffer.from(bitcoin.getId(), 'hex')), bitcoinTx: new Uint8Array(bitcoin.toBuffer()), witnesses: [] };
    }
    /** The same, paid by a coin the checks that come first never look up. */
    const bump = (spent: { txid: string; vout: number }, outputs: { script: Uint8Array; value: bigint }[]) => bumpPaidBy({ txid: Buffer.from(bitcoinTxid(12)).toString('hex'), vout: 0 }, spent, outputs);
    const walletChange = { script: ADVERSARY_SCRIPT, value: 10_000n };

    it('refuses one that returns less than the whole escrow change to the escrow (pegout-change): the reserves never pay for a bump', async () => {
      const error = await refusal(bump(change, [{ script: member.pegout.escrow.scriptPubKey, value: change.value - 1_000n }, walletChange]));
      expect(error.code).to.equal('pegout-change');
      expect(error.message).to.match(new RegExp(`output 0 must return the ${change.value} sats of escrow change to the escrow`));
      const elsewhere = await refusal(bump(change, [{ script: ADVERSARY_SCRIPT, value: change.value }, walletChange]));
      expect(elsewhere.code).to.equal('pegout-change');
    });

    it('takes one paying its fee from a confirmed operations-wallet coin, and refuses one whose wallet change is dust or paid elsewhere (pegout-change) or whose fee passes its bound (fee-bounds)', async () => {
      const { node, faucet } = await sharedRegtest();
      const wallet = opsWalletMultisig(member.pegout.escrow);
      const funded = await coinPaying(node.rpc, await faucet.fund(wallet.address(member.pegout.network), 50_000n), wallet.scriptPubKey);
      await faucet.mine(1);
      const returned = { script: member.pegout.escrow.scriptPubKey, value: change.value };
      const fee = 3n * BigInt(multisigTxVsize(member.pegout.escrow, 2, [returned.script, wallet.scriptPubKey]));
      const paying = (walletChange: { script: Uint8Array; value: bigint }) => bumpPaidBy(funded, change, [returned, walletChange]);
      await verify(paying({ script: wallet.scriptPubKey, value: funded.value - fee }));
      const cases: [{ script: Uint8Array; value: bigint }, string, RegExp][] = [
        [{ script: wallet.scriptPubKey, value: WALLET_DUST_SATS - 1n }, 'pegout-change', /output 1 must return at least 330 sats to the operations wallet/],
        [{ script: ADVERSARY_SCRIPT, value: funded.value - fee }, 'pegout-change', /output 1 must return at least 330 sats to the operations wallet/],
        [{ script: wallet.scriptPubKey, value: funded.value - 40_000n }, 'fee-bounds', /fee 40000 sats for \d+ vB \(\d+ vB with its unconfirmed ancestors\) is outside 1\.\.8 sat\/vB/],
      ];
      for (const [walletChange, code, message] of cases) {
        const error = await verify(paying(walletChange)).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error, code).to.be.instanceOf(ValidationError).with.property('code', code);
        expect((error as Error).message).to.match(message);
      }
    });

    it("refuses one that spends an escrow coin other than a recorded settlement's change, or has another shape (pegout-bump)", async () => {
      const deposit = member.pegout.coins.list().find((coin) => coin.recipient !== undefined)!;
      const error = await refusal(bump(deposit, [{ script: member.pegout.escrow.scriptPubKey, value: deposit.value }, walletChange]));
      expect(error.code).to.equal('pegout-bump');
      expect(error.message).to.match(/spends the escrow change of a recorded settlement/);
      const threeOutputs = await refusal(bump(change, [{ script: member.pegout.escrow.scriptPubKey, value: change.value }, walletChange, walletChange]));
      expect(threeOutputs.code).to.equal('pegout-bump');
    });
  });
});
