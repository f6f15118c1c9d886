import { expect } from 'chai';
import * as bitcoin from 'bitcoinjs-lib';
import { parseGenesis, type Genesis } from '../../sidechain/genesis.ts';
import { sortedMultisig } from '../../watcher/escrow.ts';
import { anchorScript, encodeAnchorPayload } from '../../watcher/anchor-payload.ts';
import type { BitcoinRpc } from '../../watcher/rpc.ts';
import type { Faucet } from '../../regtest/faucet.ts';
import { AuditFailure } from '../../federation/audit/auditor.ts';
import { memoryBlockSource } from '../../federation/audit/block-source.ts';
import { runAudit, type AuditReport } from '../../federation/audit/run-audit.ts';
import { testFederation, type TestFederation } from '../helpers/genesis.ts';
import { sharedRegtest } from '../helpers/regtest.ts';
import { issuance, testWallet } from '../helpers/transactions.ts';
import { bitcoinTxid } from '../helpers/ledger-fixtures.ts';
import { SignedChain, type SignedBlock } from '../helpers/signed-blocks.ts';
import { spendEscrowCoins, unsignedBytes } from '../helpers/bitcoin-spends.ts';
import { anchorRecord } from '../helpers/anchor-records.ts';
import { burnRecord, escrowDeposit, mintRecord, settlementRecord } from '../helpers/peg-records.ts';

const network = bitcoin.networks.regtest;
/** When the federation broadcasts a record's transaction in these tests: after the audit has found it unknown. */
const BROADCAST_AFTER_MS = 1_500;
/**
 * The grace the cases whose transaction never comes give (`audit --broadcast-grace`), and how long
 * before now they date their record's block: within the grace, with about a second of it left when
 * the audit, which reaches the record within a second here, starts waiting. The rest of the grace
 * is what such a case waits out before the audit fails. The age is two seconds so that the node's
 * last block, mined just before and dated in whole seconds, is dated after the record.
 */
const NEVER_GRACE_MS = 3_000;
const NEWEST_RECORD_AGE_MS = 2_000;

/**
 * Members broadcast an anchor's or a settlement's Bitcoin transaction only once its record is
 * final: an audit that reads the newest blocks in between finds the transaction unknown for a
 * moment. These chains are signed in memory; their anchor and settlement transactions are real,
 * broadcast to the regtest node when the test says.
 */
describe('audit of a record whose Bitcoin transaction reaches the node after its block (regtest)', function () {
  this.timeout(120_000);
  const base = testFederation(5);
  const escrow = sortedMultisig(base.genesis.members.threshold, base.genesis.pegKeys);
  const pegKeys = base.keys.map((keys) => keys.pegPrivateKey);
  const alice = testWallet();
  const withdrawalScript = bitcoin.payments.p2wpkh({ hash: Buffer.alloc(20, 0x42), network }).output!;
  let rpc: BitcoinRpc;
  let faucet: Faucet;

  before(async () => {
    ({ node: { rpc }, faucet } = await sharedRegtest());
  });

  /** The test federation with its genesis dated `timeMs`: block 1 a millisecond later, block 2 two. */
  const federationDated = (timeMs: bigint): TestFederation => ({ keys: base.keys, genesis: parseGenesis({ ...base.genesis.file, genesisTimeMs: String(timeMs) }) });

  /**
   * A chain of an issuance and, in block 2, the anchor record of block 1, with the signed
   * transaction that record names (spending a fresh escrow deposit) not broadcast yet. The
   * deposit is made first: the genesis is dated `genesisAgeMs` before the chain is built.
   */
  async function chainAwaitingBroadcast(genesisAgeMs?: number) {
    const holder = testWallet();
    const deposit = await escrowDeposit(rpc, faucet, escrow, holder.owner, 20_000n);
    const federation = genesisAgeMs === undefined ? base : federationDated(BigInt(Date.now() - genesisAgeMs));
    const { chainId } = federation.genesis;
    const chain = new SignedChain(federation);
    chain.append([issuance(chainId, alice, 1_000n).tx]);
    const anchored = chain.blocks[0]!.hash;
    const anchorTx = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: holder.owner }], [
      { script: anchorScript(encodeAnchorPayload(chainId, 1, anchored)), value: 0n },
      { script: escrow.scriptPubKey, value: deposit.value - 1_000n },
    ]);
    chain.append([{ kind: 'anchor', height: 1, blockHash: anchored, bitcoinTxid: new Uint8Array(Buffer.from(anchorTx.getId(), 'hex')), bitcoinTx: unsignedBytes(anchorTx), witnesses: [] }]);
    return { genesis: federation.genesis, blocks: chain.blocks, anchorTx };
  }

  /**
   * A chain of a mint, a burn of 200,000 sats of it, and, in block 3, the settlement paying the
   * burn out of the deposit, its signed transaction not broadcast yet; its change returns to the
   * escrow what the burn did not burn, and `keptInEscrow` more. The deposit is confirmed first:
   * the genesis is dated `genesisAgeMs` before the chain is built.
   */
  async function settlementAwaitingBroadcast(genesisAgeMs: number, keptInEscrow = 0n) {
    const holder = testWallet();
    const deposit = await escrowDeposit(rpc, faucet, escrow, holder.owner, 500_000n);
    await faucet.mine(base.genesis.file.pegin.confirmations);
    const federation = federationDated(BigInt(Date.now() - genesisAgeMs));
    const chain = new SignedChain(federation);
    chain.append([mintRecord(deposit, holder.owner, deposit.value)]);
    const burn = burnRecord(federation.genesis.chainId, holder, chain.blocks[0]!.transactions[0]!, 300_000n, withdrawalScript);
    chain.append([burn]);
    // 199,000 to the withdrawal address (1,000 of the burn pays the Bitcoin fee), the rest back to the escrow.
    const payout = spendEscrowCoins(escrow, pegKeys, [{ ...deposit, recipient: holder.owner }], [
      { script: withdrawalScript, value: 199_000n },
      { script: escrow.scriptPubKey, value: deposit.value - 200_000n + keptInEscrow },
    ]);
    chain.append([settlementRecord([burn], payout)]);
    return { genesis: federation.genesis, blocks: chain.blocks, payout };
  }

  /** Sends `tx` to the node BROADCAST_AFTER_MS from now, as members do once its record is final. */
  const broadcastLater = (tx: bitcoin.Transaction) => new Promise((resolve) => setTimeout(resolve, BROADCAST_AFTER_MS)).then(() => rpc.sendRawTransaction(tx.toHex()));

  const audit = (genesis: Genesis, blocks: readonly SignedBlock[], broadcastGraceMs?: number) => runAudit({ genesis, source: memoryBlockSource(blocks), bitcoin: rpc, broadcastGraceMs });

  /** The audit of `blocks`, with `tx` sent to the node BROADCAST_AFTER_MS after it starts. */
  const auditBroadcastingLater = async (genesis: Genesis, blocks: readonly SignedBlock[], tx: bitcoin.Transaction): Promise<AuditReport> => (await Promise.all([audit(genesis, blocks), broadcastLater(tx)]))[0];

  /** The audit's failure; fails the test when the audit passes. */
  const failureOf = (run: Promise<AuditReport>): Promise<AuditFailure> =>
    run.then(
      () => expect.fail('the audit passed'),
      (error: unknown) => {
        expect(error).to.be.instanceOf(AuditFailure);
        return error as AuditFailure;
      },
    );

  /** The message an unknown transaction of an anchor or a settlement fails with, the node not behind the record: the node's last block, then the record's. */
  const notBorneOut = async (check: 'anchor' | 'settlement', txid: string, height: number, timeMs: bigint) => {
    const { blocks: tipHeight, bestBlockHash } = await rpc.getBlockchainInfo();
    const iso = (ms: bigint) => new Date(Number(ms)).toISOString().replace(/\./g, '\\.');
    return new RegExp(
      `^audit failed at height ${height}: ${check}: Bitcoin transaction ${txid} is unknown to the Bitcoin node; the Bitcoin node's last block, ${tipHeight}, is dated ${iso(await rpc.getBlockTimeMs(bestBlockHash))}, after block ${height} of the chain \\(${iso(timeMs)}\\): the node is not behind the record, so Bitcoin as it has it does not bear the record out$`,
    );
  };

  it('passes when the transaction of an anchor record in the newest blocks reaches the node while the audit runs, and says it waited', async () => {
    const { genesis, blocks, anchorTx } = await chainAwaitingBroadcast(0);
    const report = await auditBroadcastingLater(genesis, blocks, anchorTx);
    expect(report).to.deep.include({ height: 2, awaitedBroadcasts: 1 });
    expect(report.anchors.list).to.deep.equal([{ anchoredHeight: 1, bitcoinTxid: anchorTx.getId(), confirmations: 0 }]);
  });

  it('fails at an anchor record in the newest blocks whose transaction never reaches the node, with the message of any unknown transaction', async () => {
    // A block of the node dated after the record's block, which is dated NEWEST_RECORD_AGE_MS before now.
    await faucet.mine(1);
    const federation = federationDated(BigInt(Date.now() - NEWEST_RECORD_AGE_MS));
    const chain = new SignedChain(federation);
    chain.append([issuance(federation.genesis.chainId, alice, 1_000n).tx]);
    const never = anchorRecord(federation.genesis.chainId, 1, chain.blocks[0]!.hash, { txid: Buffer.from(bitcoinTxid(515151)).toString('hex'), vout: 0 });
    chain.append([never]);
    const failure = await failureOf(audit(federation.genesis, chain.blocks, NEVER_GRACE_MS));
    expect(failure.message).to.match(await notBorneOut('anchor', Buffer.from(never.bitcoinTxid).toString('hex'), 2, chain.blocks[1]!.header.timeMs));
  });

  it('fails at once at an old anchor record whose transaction the node does not know: its transaction reaching the node a moment later comes too late', async () => {
    // Dated as the test federation's genesis is, years before now.
    const { genesis, blocks, anchorTx } = await chainAwaitingBroadcast();
    const broadcast = broadcastLater(anchorTx);
    const failure = await failureOf(audit(genesis, blocks));
    const expected = await notBorneOut('anchor', anchorTx.getId(), 2, blocks[1]!.header.timeMs);
    await broadcast;
    expect(failure.message).to.match(expected);
  });

  it('passes when the transaction of a settlement record in the newest blocks reaches the node while the audit runs, and says it waited', async () => {
    const { genesis, blocks, payout } = await settlementAwaitingBroadcast(0);
    const report = await auditBroadcastingLater(genesis, blocks, payout);
    expect(report).to.deep.include({ height: 3, awaitedBroadcasts: 1 });
    // Still in the mempool: the reserves are judged by the deposit it spends, which Bitcoin's blocks hold.
    expect(report.settlements).to.deep.equal({ count: 1, burns: 1, inMempool: 1 });
    expect(report.reserves).to.deep.include({ escrowSats: 500_000n, unspentOutputs: 1, spentOutputs: 0, outstandingSats: 300_000n });
  });

  it('fails at a settlement record in the newest blocks whose transaction never reaches the node, with the message of any unknown transaction', async () => {
    // Its deposit confirmed just before: the node's last block is dated after the record's block, NEWEST_RECORD_AGE_MS before now.
    const { genesis, blocks, payout } = await settlementAwaitingBroadcast(NEWEST_RECORD_AGE_MS);
    const failure = await failureOf(audit(genesis, blocks, NEVER_GRACE_MS));
    expect(failure.message).to.match(await notBorneOut('settlement', payout.getId(), 3, blocks[2]!.header.timeMs));
  });

  it("fails at a settlement record in the newest blocks whose transaction, reaching the node while the audit runs, keeps part of the burn's fee share in the escrow: a transaction waited for is judged as any other", async () => {
    const { genesis, blocks, payout } = await settlementAwaitingBroadcast(0, 600n);
    const failure = await failureOf(auditBroadcastingLater(genesis, blocks, payout));
    expect(failure.message).to.match(
      new RegExp(
        `^audit failed at height 3: settlement: Bitcoin transaction ${payout.getId()} takes 199400 sats out of the escrow \\(spends 500000, returns 300600 as change\\), and the burns it settles burned 200000: 600 sats of the burns' fee shares stay in the escrow, paying no fee$`,
      ),
    );
  });
});
