import { expect } from 'chai';
import * as bitcoin from 'bitcoinjs-lib';
import { parseGenesis } from '../../sidechain/genesis.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import { AuditFailure, type AuditCheck } from '../../federation/audit/auditor.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { memoryBlockSource, type BlockSource } from '../../federation/audit/block-source.ts';
import { runAudit, type AuditReport } from '../../federation/audit/run-audit.ts';
import { testFederation, type TestFederation } from '../helpers/genesis.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';
import { bitcoinTxid } from '../helpers/ledger-fixtures.ts';
import { quorum, rewriteHistory, SignedChain, type SignedBlock } from '../helpers/signed-blocks.ts';
import { broadcastAnchor, spendEscrowCoins, unsignedBytes, type BitcoinCoin } from '../helpers/bitcoin-spends.ts';
import { anchorRecord } from '../helpers/anchor-records.ts';
import { burnRecord, escrowDeposit, mintRecord, settlementRecord } from '../helpers/peg-records.ts';

const network = bitcoin.networks.regtest;
const PEGIN_FEE = 1_000n;

/** A federation whose genesis keeps a peg-in fee, so mints are the deposit less the fee. */
function federationWithPeginFee(): TestFederation {
  const base = testFederation(5);
  return { keys: base.keys, genesis: parseGenesis({ ...base.genesis.file, pegin: { ...base.genesis.file.pegin, feeSats: PEGIN_FEE.toString() } }) };
}

/**
 * A history the test builds and signs with the federation's keys, whose Bitcoin side is real:
 * deposits to tweaked addresses on the regtest node, an anchor transaction with the 44-byte
 * OP_RETURN, and a peg-out paid from a deposit with change back to the escrow.
 */
describe('audit against a real Bitcoin node (regtest), of a history signed in memory', function () {
  this.timeout(120_000);
  const federation = federationWithPeginFee();
  const { genesis } = federation;
  const chainId = genesis.chainId;
  const escrow = sortedMultisig(genesis.members.threshold, genesis.pegKeys);
  const pegKeys = federation.keys.map((keys) => keys.pegPrivateKey);
  const alice = testWallet();
  const bob = testWallet();
  const carol = testWallet();
  const withdrawalScript = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x42), network }).output!;
  let rpc: BitcoinRpc;
  let faucet: Faucet;
  let chain: SignedChain;
  let blocks: SignedBlock[];
  let bobDeposit: BitcoinCoin;
  let carolDeposit: BitcoinCoin;
  let daveDeposit: BitcoinCoin;
  const dave = testWallet();
  const noBurnsUnpaid = { count: 0, sats: 0n, oldestHeight: null };

  const depositTo = (owner: Uint8Array, sats: bigint) => escrowDeposit(rpc, faucet, escrow, owner, sats);
  const mintOf = (deposit: BitcoinCoin, recipient: Uint8Array, amount = deposit.value - PEGIN_FEE): Transaction => mintRecord(deposit, recipient, amount);
  /** A burn of 200,000 sats of `owner`'s minted coin to the withdrawal address (or `destinationScript`), `change` (if any) back to the owner. */
  const burnOf = (owner: ReturnType<typeof testWallet>, mint: Transaction, change: bigint, destinationScript: Uint8Array = withdrawalScript): Transaction =>
    burnRecord(chainId, owner, mint, change, destinationScript);
  /** A new holder's confirmed deposit of `sats` plus the peg-in fee, minted in block 1 of a chain of its own. */
  const mintedChain = async (sats: bigint) => {
    const holder = testWallet();
    const deposit = await depositTo(holder.owner, sats + PEGIN_FEE);
    await faucet.mine(2);
    const chain = new SignedChain(federation);
    chain.append([mintOf(deposit, holder.owner)]);
    return { holder, deposit, chain, mint: chain.blocks[0]!.transactions[0]! };
  };
  const audit = (served: readonly SignedBlock[], auditGenesis = genesis, broadcastGraceMs?: number) => runAudit({ genesis: auditGenesis, source: memoryBlockSource(served), bitcoin: rpc, broadcastGraceMs });

  async function expectFailure(run: Promise<AuditReport>, expected: { check: AuditCheck; height: number | undefined; message: RegExp }): Promise<void> {
    const failure = await run.then(
      () => expect.fail('the audit passed'),
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(AuditFailure);
    const { check, height, message } = failure as AuditFailure;
    expect({ check, height }).to.deep.equal({ check: expected.check, height: expected.height });
    expect(message).to.match(expected.message);
  }

  before(async () => {
    ({ node: { rpc }, faucet } = await sharedRegtest());
    bobDeposit = await depositTo(bob.owner, 600_000n);
    carolDeposit = await depositTo(carol.owner, 300_000n);
    daveDeposit = await depositTo(dave.owner, 500_000n);
    await faucet.mine(2);

    chain = new SignedChain(federation);
    chain.append([issuance(chainId, alice, 1_000n).tx]);
    const bobMint = mintOf(bobDeposit, bob.owner);
    chain.append([bobMint, mintOf(carolDeposit, carol.owner)]);
    const burn = burnOf(bob, bobMint, 399_000n);
    chain.append([burn]);
    const anchorTx = await broadcastAnchor(rpc, faucet, { chainId, height: 3, blockHash: chain.blocks[2]!.hash });
    chain.append([{ kind: 'anchor', height: 3, blockHash: chain.blocks[2]!.hash, bitcoinTxid: new Uint8Array(Buffer.from(anchorTx.getId(), 'hex')), bitcoinTx: unsignedBytes(anchorTx), witnesses: [] }]);
    // The peg-out: 199,000 to the withdrawal address (1,000 of the burn pays the Bitcoin fee), the rest back to the escrow.
    const payout = spendEscrowCoins(escrow, pegKeys, [{ ...bobDeposit, recipient: bob.owner }], [
      { script: withdrawalScript, value: 199_000n },
      { script: escrow.scriptPubKey, value: 400_000n },
    ]);
    chain.append([settlementRecord([burn], payout)]);
    await rpc.sendRawTransaction(payout.toHex());
    await faucet.mine(1);
    // The history the tests audit; one test extends the chain past it.
    blocks = [...chain.blocks];
  });

  it('passes the honest history: every mint, the anchor, the settlement and the reserves are on Bitcoin', async () => {
    const report = await audit(blocks);
    expect(report).to.deep.include({ height: 5, blocks: 5, transactions: 6, tipHash: Buffer.from(blocks[4]!.hash).toString('hex') });
    expect(report.mints).to.deep.equal({ count: 2, sats: 898_000n });
    expect(report.anchors).to.deep.include({ count: 1, lastAnchoredHeight: 3 });
    expect(report.anchors.lastConfirmations).to.be.at.least(1);
    // Block 4 holds the anchor record alone; block 5, the settlement, is what no anchor covers yet.
    expect(report.anchors.unanchored).to.deep.equal({ blocks: 1, oldestHeight: 5, oldestTimeMs: blocks[4]!.header.timeMs });
    expect(report.settlements).to.deep.equal({ count: 1, burns: 1, inMempool: 0 });
    // Bitcoin as the audit saw it, for the auditor to compare with the network: a node behind would show spent escrow coins as unspent.
    const { blocks: tipHeight, bestBlockHash } = await rpc.getBlockchainInfo();
    expect(report.bitcoinTip).to.deep.equal({ height: tipHeight, hash: bestBlockHash, timeMs: await rpc.getBlockTimeMs(bestBlockHash) });
    expect(report.supply).to.deep.equal({ mintedSats: 898_000n, burnedSats: 200_000n, outstandingSats: 698_000n });
    // Bob's deposit was spent by the peg-out, which the chain records: its change and Carol's deposit remain, nothing is missing.
    expect(report.reserves).to.deep.equal({ escrowSats: 700_000n, unspentOutputs: 2, spentOutputs: 0, outstandingSats: 698_000n, unpaidBurns: noBurnsUnpaid });
  });

  it('passes with a settlement still in the mempool: judged by the coins it spends, which Bitcoin\'s blocks still hold, not by its change', async () => {
    chain.append([mintOf(daveDeposit, dave.owner)]);
    const burn = burnOf(dave, chain.blocks.at(-1)!.transactions[0]!, 299_000n);
    chain.append([burn]);
    const payout = spendEscrowCoins(escrow, pegKeys, [{ ...daveDeposit, recipient: dave.owner }], [
      { script: withdrawalScript, value: 199_000n },
      { script: escrow.scriptPubKey, value: 300_000n },
    ]);
    chain.append([settlementRecord([burn], payout)]);
    await rpc.sendRawTransaction(payout.toHex());
    const report = await audit(chain.blocks);
    expect(report.settlements).to.deep.equal({ count: 2, burns: 2, inMempool: 1 });
    expect(report.supply).to.deep.equal({ mintedSats: 1_397_000n, burnedSats: 400_000n, outstandingSats: 997_000n });
    // Bob's peg-out change, Carol's deposit and Dave's deposit, which only the mempool has spent.
    expect(report.reserves).to.deep.equal({ escrowSats: 1_200_000n, unspentOutputs: 3, spentOutputs: 0, outstandingSats: 997_000n, unpaidBurns: noBurnsUnpaid });
  });

  it('passes when the settlement is on Bitcoin before the source serves its record: the source is read again before the reserves are judged', async () => {
    // A member whose chain ends below the settlement at first, as when it is recorded and paid
    // while the audit reads the last blocks; it serves the rest when asked again.
    const all = memoryBlockSource(blocks);
    let endings = 0;
    const growing: BlockSource = {
      description: 'a member catching up',
      tip: async () => ({ height: blocks.length - 1 }),
      block: async (height) => (height === blocks.length && endings++ === 0 ? null : all.block(height)),
    };
    const report = await runAudit({ genesis, source: growing, bitcoin: rpc });
    expect(endings).to.be.at.least(2);
    expect(report).to.deep.include({ height: 5, blocks: 5 });
    expect(report.settlements).to.deep.equal({ count: 1, burns: 1, inMempool: 0 });
    expect(report.reserves).to.deep.equal({ escrowSats: 700_000n, unspentOutputs: 2, spentOutputs: 0, outstandingSats: 698_000n, unpaidBurns: noBurnsUnpaid });
  });

  it('names a member further along rather than judge the reserves of a chain behind a settlement the others made', async () => {
    const behind = memoryBlockSource(blocks.slice(0, -1), 'member A');
    const error = await runAudit({ genesis, source: behind, bitcoin: rpc, others: [behind, memoryBlockSource(blocks, 'member B')] }).then(
      () => expect.fail('the audit passed'),
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(ValidationError);
    expect(error).to.not.be.instanceOf(AuditFailure);
    expect((error as ValidationError).code).to.equal('source-behind');
    expect((error as ValidationError).message).to.match(/^member A served the chain up to height 4 and member B says its chain reaches 5: .*; audit member B$/);
    // With no other member further along, the shortfall is the verdict.
    await expectFailure(runAudit({ genesis, source: behind, bitcoin: rpc, others: [memoryBlockSource(blocks.slice(0, -2), 'member C')] }), {
      check: 'reserves',
      height: undefined,
      message: new RegExp(`Bitcoin has spent the output the chain holds in reserve: ${bobDeposit.txid}:${bobDeposit.vout} \\(the chain as of height 4, the last block served\\)$`),
    });
  });

  it('passes a chain a member cut short, naming the other members whose chains reach further: the blocks past it are not audited', async () => {
    const all = memoryBlockSource(blocks, 'member B');
    const report = await runAudit({ genesis, source: memoryBlockSource(blocks.slice(0, 1), 'member A'), bitcoin: rpc, others: [all, memoryBlockSource(blocks.slice(0, 1), 'member C')] });
    expect(report).to.deep.include({ height: 1, othersAhead: [{ member: 'member B', height: blocks.length }] });
    expect((await audit(blocks)).othersAhead).to.deep.equal([]);
  });

  it('fails at the anchor when a quorum rewrote an anchored block: Bitcoin still holds the old hash', async () => {
    const rewritten = rewriteHistory(blocks, 3, (txs) => [...txs, issuance(chainId, alice, 7n, 2n).tx], quorum(federation));
    const anchorRecord = blocks[3]!.transactions[0]! as Transaction & { kind: 'anchor' };
    const consistent = rewriteHistory(rewritten, 4, () => [{ ...anchorRecord, blockHash: rewritten[2]!.hash }], quorum(federation));
    await expectFailure(audit(consistent), {
      check: 'anchor',
      height: 4,
      message: new RegExp(`anchors block hash ${Buffer.from(blocks[2]!.hash).toString('hex')} at height 3, the served chain has ${Buffer.from(rewritten[2]!.hash).toString('hex')}`),
    });
  });

  it("fails at the height a previous audit passed when a quorum signed another block there, which no anchor covers and which passes an audit on its own", async () => {
    const previous = { height: 5, tipHash: Buffer.from(blocks[4]!.hash).toString('hex') };
    const rewritten = rewriteHistory(blocks, 5, (txs) => [...txs, issuance(chainId, alice, 7n, 2n).tx], quorum(federation));
    expect((await audit(rewritten)).tipHash).to.not.equal(previous.tipHash);
    await expectFailure(runAudit({ genesis, source: memoryBlockSource(rewritten), bitcoin: rpc, previous }), {
      check: 'history',
      height: 5,
      message: new RegExp(`^audit failed at height 5: history: block 5 is ${Buffer.from(rewritten[4]!.hash).toString('hex')}, not ${previous.tipHash} as the previous audit passed it: both are final under the genesis, so the federation signed two histories`),
    });
  });

  it('passes a chain holding the block a previous audit passed, and stops with an error, not a verdict, at a chain that ends below it', async () => {
    const previous = { height: 3, tipHash: Buffer.from(blocks[2]!.hash).toString('hex') };
    expect((await runAudit({ genesis, source: memoryBlockSource(blocks), bitcoin: rpc, previous })).previous).to.deep.equal(previous);
    expect((await audit(blocks)).previous).to.equal(null);
    const error = await runAudit({ genesis, source: memoryBlockSource(blocks.slice(0, 2), 'member A'), bitcoin: rpc, previous }).then(
      () => expect.fail('the audit passed'),
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(ValidationError);
    expect(error).to.not.be.instanceOf(AuditFailure);
    expect((error as ValidationError).code).to.equal('source-behind-previous');
    expect((error as ValidationError).message).to.equal('member A served the chain up to height 2, below height 3 the previous audit passed: the blocks audited before cannot be compared; audit another member');
  });

  /** What the audit says of the node's last block against a record's block: the node's height and time, then the record's. */
  const nodeTipThen = async (relation: 'before' | 'after', height: number, timeMs: bigint) => {
    const { blocks: tipHeight, bestBlockHash } = await rpc.getBlockchainInfo();
    const iso = (ms: bigint) => new Date(Number(ms)).toISOString().replace(/\./g, '\\.');
    return `the Bitcoin node's last block, ${tipHeight}, is dated ${iso(await rpc.getBlockTimeMs(bestBlockHash))}, ${relation} block ${height} of the chain \\(${iso(timeMs)}\\)`;
  };

  it('fails at an anchor record naming a transaction Bitcoin does not have, saying the node is not behind the record', async () => {
    const never = anchorRecord(chainId, 3, blocks[2]!.hash, { txid: Buffer.from(bitcoinTxid(424242)).toString('hex'), vout: 0 });
    const forged = rewriteHistory(blocks, 4, () => [never], quorum(federation));
    await expectFailure(audit(forged), {
      check: 'anchor',
      height: 4,
      message: new RegExp(`Bitcoin transaction ${Buffer.from(never.bitcoinTxid).toString('hex')} is unknown to the Bitcoin node; ${await nodeTipThen('after', 4, forged[3]!.header.timeMs)}: the node is not behind the record, so Bitcoin as it has it does not bear the record out$`),
    });
  });

  it('fails at an anchor the node does not know, recorded after its last block, saying a node behind cannot show it yet', async () => {
    const { bestBlockHash } = await rpc.getBlockchainInfo();
    // A chain whose blocks are dated an hour after the node's last block: as a node that lags, or
    // that restarted since the anchor was relayed and has seen no block since, sees it.
    const later: TestFederation = { keys: federation.keys, genesis: parseGenesis({ ...genesis.file, genesisTimeMs: String((await rpc.getBlockTimeMs(bestBlockHash)) + 3_600_000n) }) };
    const laterChain = new SignedChain(later);
    laterChain.append([issuance(later.genesis.chainId, alice, 1_000n).tx]);
    const unseen = anchorRecord(later.genesis.chainId, 1, laterChain.blocks[0]!.hash, { txid: Buffer.from(bitcoinTxid(434343)).toString('hex'), vout: 0 });
    laterChain.append([unseen]);
    // The record is dated after the auditor's clock, so it is given the whole grace from now: a second, where an auditor gives ten.
    await expectFailure(audit(laterChain.blocks, later.genesis, 1_000), {
      check: 'anchor',
      height: 2,
      message: new RegExp(
        `Bitcoin transaction ${Buffer.from(unseen.bitcoinTxid).toString('hex')} is unknown to the Bitcoin node; ${await nodeTipThen('before', 2, laterChain.blocks[1]!.header.timeMs)}: a node behind Bitcoin, or one that missed the transaction while it was unconfirmed, cannot show it yet; audit again once the node has a later block$`,
      ),
    });
  });

  it('fails at a settlement whose Bitcoin transaction was recorded but never broadcast', async () => {
    const settlement = blocks[4]!.transactions[0]! as Transaction & { kind: 'settlement' };
    const other = spendEscrowCoins(escrow, pegKeys, [{ ...bobDeposit, recipient: bob.owner }], [
      { script: withdrawalScript, value: 199_500n },
      { script: escrow.scriptPubKey, value: 400_000n },
    ]);
    const forged = rewriteHistory(blocks, 5, () => [{ ...settlement, bitcoinTxid: new Uint8Array(Buffer.from(other.getId(), 'hex')), bitcoinTx: unsignedBytes(other) }], quorum(federation));
    await expectFailure(audit(forged), { check: 'settlement', height: 5, message: new RegExp(`Bitcoin transaction ${other.getId()} is unknown to the Bitcoin node`) });
  });

  it("fails at a settlement whose change keeps part of the burn's fee share in the escrow, though it pays the burn its amount less that share", async () => {
    const { holder: frank, deposit, chain: frankChain, mint } = await mintedChain(500_000n);
    const burn = burnOf(frank, mint, 300_000n);
    frankChain.append([burn]);
    // 199,000 paid for the 200,000 burned: a fee share of 1,000, of which the transaction pays 400 as its fee and returns 600 to the escrow.
    const payout = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: frank.owner }], [
      { script: withdrawalScript, value: 199_000n },
      { script: escrow.scriptPubKey, value: deposit.value - 200_000n + 600n },
    ]);
    frankChain.append([settlementRecord([burn], payout)]);
    await rpc.sendRawTransaction(payout.toHex());
    await faucet.mine(1);
    await expectFailure(audit(frankChain.blocks), {
      check: 'settlement',
      height: 3,
      message: new RegExp(`Bitcoin transaction ${payout.getId()} takes 199400 sats out of the escrow \\(spends 501000, returns 301600 as change\\), and the burns it settles burned 200000: 600 sats of the burns' fee shares stay in the escrow, paying no fee$`),
    });
  });

  it("fails at a settlement paying most of the burn to a script that is neither the burn's nor the escrow's, though the escrow gives out exactly what was burned", async () => {
    // A genesis without a peg-in fee, so that a deposit holds exactly what its mint and its burn are: the payment needs no escrow change.
    const plain = testFederation(5);
    const plainEscrow = sortedMultisig(plain.genesis.members.threshold, plain.genesis.pegKeys);
    const erin = testWallet();
    const deposit = await escrowDeposit(rpc, faucet, plainEscrow, erin.owner, 200_000n);
    await faucet.mine(2);
    const erinChain = new SignedChain(plain);
    const mint = mintRecord(deposit, erin.owner, 200_000n);
    erinChain.append([mint]);
    const burn = burnRecord(plain.genesis.chainId, erin, mint, 0n, withdrawalScript);
    erinChain.append([burn]);
    // 1,000 sats paid for the 200,000 burned, 198,000 to the quorum's own script, 1,000 of fee: the outflow is what the burn burned, a quorum signed the record.
    const taker = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x77), network }).output!;
    const payout = spendEscrowCoins(plainEscrow, plain.keys.map((keys) => keys.pegPrivateKey), [{ ...deposit, recipient: erin.owner }], [
      { script: withdrawalScript, value: 1_000n },
      { script: taker, value: 198_000n },
    ]);
    erinChain.append([settlementRecord([burn], payout)]);
    await rpc.sendRawTransaction(payout.toHex());
    await faucet.mine(1);
    await expectFailure(audit(erinChain.blocks, plain.genesis), {
      check: 'settlement',
      height: 3,
      message: new RegExp(`settlement: Bitcoin transaction ${payout.getId()} pays 198000 sats by output 1 to ${Buffer.from(taker).toString('hex')}, which is neither a burn it settles nor change to the escrow`),
    });
  });

  it('fails at a fee bump, which settles no burn, that pays out of the escrow coins it spends: a payout without a burn comes out of the reserves', async () => {
    const { holder: heidi, deposit, chain: heidiChain } = await mintedChain(300_000n);
    const second = await depositTo(heidi.owner, 100_000n + PEGIN_FEE);
    await faucet.mine(2);
    heidiChain.append([mintOf(second, heidi.owner)]);
    // Two inputs into two outputs, the form the ledger takes for a fee bump: 50,000 of the escrow's coins go to another script and the fee.
    const taker = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x78), network }).output!;
    const spent = deposit.value + second.value;
    const bump = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: heidi.owner }, { ...second, recipient: heidi.owner }], [
      { script: escrow.scriptPubKey, value: spent - 50_000n },
      { script: taker, value: 49_000n },
    ]);
    heidiChain.append([settlementRecord([], bump)]);
    await rpc.sendRawTransaction(bump.toHex());
    await faucet.mine(1);
    await expectFailure(audit(heidiChain.blocks), {
      check: 'settlement',
      height: 3,
      message: new RegExp(`settlement: Bitcoin transaction ${bump.getId()} takes 50000 sats out of the escrow \\(spends ${spent}, returns ${spent - 50_000n} as change\\), and the burns it settles burned 0: 50000 sats of its fee come out of the reserves$`),
    });
  });

  it('passes a settlement paying a burn out of two deposits: the escrow coins it spends count together', async () => {
    const { holder: grace, deposit, chain: graceChain, mint } = await mintedChain(250_000n);
    const second = await depositTo(grace.owner, 100_000n + PEGIN_FEE);
    await faucet.mine(2);
    graceChain.append([mintOf(second, grace.owner)]);
    const burn = burnOf(grace, mint, 50_000n);
    graceChain.append([burn]);
    // 352,000 spent: 199,000 paid, 1,000 of fee, 152,000 back to the escrow; 200,000 out of it, what the burn burned.
    const payout = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: grace.owner }, { ...second, recipient: grace.owner }], [
      { script: withdrawalScript, value: 199_000n },
      { script: escrow.scriptPubKey, value: 152_000n },
    ]);
    graceChain.append([settlementRecord([burn], payout)]);
    await rpc.sendRawTransaction(payout.toHex());
    await faucet.mine(1);
    const report = await audit(graceChain.blocks);
    expect(report.settlements).to.deep.equal({ count: 1, burns: 1, inMempool: 0 });
    expect(report.reserves).to.deep.equal({ escrowSats: 152_000n, unspentOutputs: 1, spentOutputs: 0, outstandingSats: 150_000n, unpaidBurns: noBurnsUnpaid });
  });

  it("fails at the ledger at a burn to the federation's escrow, though a quorum signed it: members refuse it, and so does the audit's replay", async () => {
    const bobMint = blocks[1]!.transactions[0]!;
    const forged = rewriteHistory(blocks, 3, () => [burnOf(bob, bobMint, 399_000n, escrow.scriptPubKey)], quorum(federation));
    await expectFailure(audit(forged), { check: 'ledger', height: 3, message: new RegExp(`${escrow.address(network)} is the federation's escrow`) });
  });

  it('fails at a mint of the whole deposit, the peg-in fee not kept', async () => {
    const forged = rewriteHistory(blocks, 2, () => [mintOf(bobDeposit, bob.owner, 600_000n), mintOf(carolDeposit, carol.owner)], quorum(federation));
    await expectFailure(audit(forged), { check: 'mint', height: 2, message: /mints 600000, the deposit allows 599000/ });
  });

  it("fails at a mint crediting someone other than the deposit address's recipient", async () => {
    const forged = rewriteHistory(blocks, 2, () => [mintOf(bobDeposit, bob.owner), mintOf(carolDeposit, alice.owner)], quorum(federation));
    await expectFailure(audit(forged), { check: 'mint', height: 2, message: /does not pay the recipient's deposit address/ });
  });

  it('fails at a mint of a deposit Bitcoin has never seen', async () => {
    const forged = rewriteHistory(blocks, 2, (txs) => [...txs, mintOf({ txid: Buffer.from(bitcoinTxid(77)).toString('hex'), vout: 0, value: 50_000n }, alice.owner)], quorum(federation));
    await expectFailure(audit(forged), { check: 'mint', height: 2, message: /the Bitcoin node does not know the transaction/ });
  });

  it('fails at a mint of a deposit short of the confirmation depth', async () => {
    const dave = testWallet();
    const deposit = await depositTo(dave.owner, 50_000n);
    await faucet.mine(1);
    const chain = new SignedChain(federation);
    chain.append([mintOf(deposit, dave.owner)]);
    await expectFailure(audit(chain.blocks), { check: 'mint', height: 1, message: new RegExp(`1 confirmations, 2 required; ${await nodeTipThen('after', 1, chain.blocks[0]!.header.timeMs)}: the node is not behind the record`) });
  });

  it('refuses a Bitcoin node on another network than the genesis names', async () => {
    const mainnet = parseGenesis({ ...genesis.file, bitcoinNetwork: 'mainnet' });
    await expectFailure(audit([], mainnet), { check: 'bitcoin', height: undefined, message: /follows regtest, the genesis names mainnet/ });
  });

  it('fails the reserves when the escrow spends the coin a final burn not paid yet is owed: the burned sats are no longer pegged, but the escrow still owes them', async () => {
    const { holder: erin, deposit, chain: erinChain, mint } = await mintedChain(200_000n);
    erinChain.append([burnOf(erin, mint, 0n)]);
    // While the escrow holds the deposit, the burn waits for its payment and the audit says so.
    const waiting = await audit(erinChain.blocks);
    expect(waiting.supply).to.deep.equal({ mintedSats: 200_000n, burnedSats: 200_000n, outstandingSats: 0n });
    expect(waiting.reserves).to.deep.equal({ escrowSats: 201_000n, unspentOutputs: 1, spentOutputs: 0, outstandingSats: 0n, unpaidBurns: { count: 1, sats: 200_000n, oldestHeight: 2 } });

    const theft = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: erin.owner }], [{ script: bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x66), network }).output!, value: deposit.value - 2_000n }]);
    await rpc.sendRawTransaction(theft.toHex());
    await faucet.mine(1);
    await expectFailure(audit(erinChain.blocks), {
      check: 'reserves',
      height: undefined,
      message: new RegExp(
        `^audit failed: reserves: the escrow holds 0 sats in 0 unspent outputs, 0 sats of pegged bitcoin are outstanding and 200000 sats are owed to 1 final burn not paid yet \\(short by 200000\\); Bitcoin has spent the output the chain holds in reserve: ${deposit.txid}:${deposit.vout} \\(the chain as of height 2, the last block served\\)$`,
      ),
    });
  });

  it('fails the reserves when the escrow spends a deposit that no settlement accounts for', async () => {
    const theft = spendEscrowCoins(escrow, pegKeys, [{ ...carolDeposit, recipient: carol.owner }], [{ script: withdrawalScript, value: carolDeposit.value - 2_000n }]);
    await rpc.sendRawTransaction(theft.toHex());
    await faucet.mine(1);
    await expectFailure(audit(blocks), {
      check: 'reserves',
      height: undefined,
      message: new RegExp(
        `^audit failed: reserves: the escrow holds 400000 sats in 1 unspent output, 698000 sats of pegged bitcoin are outstanding \\(short by 298000\\); Bitcoin has spent the output the chain holds in reserve: ${carolDeposit.txid}:${carolDeposit.vout} \\(the chain as of height 5, the last block served\\)$`,
      ),
    });
  });
});
