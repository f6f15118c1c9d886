import { expect } from 'chai';
import { encodeBlock } from '../../sidechain/block.ts';
import { encodeCommit, decodeCommit } from '../../sidechain/commit.ts';
import { BTC_ASSET_ID } from '../../sidechain/asset.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { AuditFailure, ChainAuditor, type AuditCheck, type AuditedBlock } from '../../federation/audit/auditor.ts';
import { UnanchoredBlocks } from '../../federation/audit/unanchored-blocks.ts';
import { testFederation } from '../helpers/genesis.ts';
import { bitcoinTxid } from '../helpers/ledger-fixtures.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { quorum, rewriteHistory, signCommit, SignedChain, signedBlock, type SignedBlock, type Signers } from '../helpers/signed-blocks.ts';
import { anchorRecord } from '../helpers/anchor-records.ts';

const federation = testFederation(5);
const chainId = federation.genesis.chainId;
const alice = testWallet();
const bob = testWallet();
const minority: Signers = quorum(federation).slice(0, 2);
const outsiders: Signers = quorum(testFederation(5));

const mint = (deposit: number, amount: bigint): Transaction => ({ kind: 'pegin', bitcoinTxid: bitcoinTxid(deposit), bitcoinVout: 0, amount, recipient: bob.owner, witnesses: [] });

/**
 * An honest history: 1 issues a share to alice, 2 moves 250 of it to bob, 3 mints pegged BTC to
 * bob, 4 anchors block 2, 5 has bob pay alice from the mint.
 */
function honestChain(): SignedChain {
  const chain = new SignedChain(federation);
  const { tx: issue, asset } = issuance(chainId, alice, 1_000n);
  chain.append([issue]);
  chain.append([transfer(chainId, alice, { txid: txId(issue), index: 0, amount: 1_000n }, asset, bob.owner, 250n)]);
  const minted = mint(1, 500_000n);
  chain.append([minted]);
  chain.append([anchorRecord(chainId, 2, chain.blocks[1]!.hash)]);
  chain.append([transfer(chainId, bob, { txid: txId(minted), index: 0, amount: 500_000n }, BTC_ASSET_ID, alice.owner, 100_000n)]);
  return chain;
}

const honest = honestChain().blocks;

function audit(blocks: readonly Pick<SignedBlock, 'block' | 'commit'>[]): { auditor: ChainAuditor; audited: AuditedBlock[] } {
  const auditor = new ChainAuditor(federation.genesis);
  return { auditor, audited: blocks.map(({ block, commit }) => auditor.apply(block, commit)) };
}

/** The same block bytes under its original header and certificate: what a member could edit without any key. */
const withBody = (original: SignedBlock, transactions: Transaction[]) => ({ block: encodeBlock({ header: original.header, transactions }), commit: original.commit });

const tamperings: { description: string; blocks: () => Pick<SignedBlock, 'block' | 'commit'>[]; height: number; check: AuditCheck; message: RegExp }[] = [
  {
    description: 'an amount changed under the original header and certificate',
    blocks: () => [...honest.slice(0, 1), withBody(honest[1]!, [transfer(chainId, alice, { txid: txId(honest[0]!.transactions[0]!), index: 0, amount: 1_000n }, issuance(chainId, alice, 1_000n).asset, bob.owner, 900n)])],
    height: 2,
    check: 'block',
    message: /transaction root does not match/,
  },
  {
    description: 'an amount changed with a matching header but the original certificate',
    blocks: () => rewriteHistory(honest, 3, () => [mint(1, 5_000_000n)], quorum(federation)).map((block, index) => (index === 2 ? { ...block, commit: honest[2]!.commit } : block)),
    height: 3,
    check: 'finality',
    message: /block 3 is not final: invalid signature of member 0/,
  },
  {
    description: 'a transaction dropped under the original header',
    blocks: () => [...honest.slice(0, 2), withBody(honest[2]!, [])],
    height: 3,
    check: 'block',
    message: /header counts 1 transaction, body has 0/,
  },
  {
    description: 'an altered block re-signed by a minority of the members',
    blocks: () => rewriteHistory(honest, 3, () => [mint(1, 5_000_000n)], minority),
    height: 3,
    check: 'finality',
    message: /block 3 is not final: 2 signatures, 4 required/,
  },
  {
    description: 'an altered block signed by keys outside the genesis',
    blocks: () => rewriteHistory(honest, 2, (txs) => txs, outsiders),
    height: 2,
    check: 'finality',
    message: /invalid signature of member 0/,
  },
  {
    description: 'a transfer amount changed and re-signed by a quorum of members: the owner never signed it',
    blocks: () =>
      rewriteHistory(honest, 2, ([tx]) => [{ ...(tx as Transaction & { kind: 'transfer' }), outputs: (tx as Transaction & { kind: 'transfer' }).outputs.map((o, i) => (i === 0 ? { ...o, amount: 900n } : { ...o, amount: 100n })) }], quorum(federation)),
    height: 2,
    check: 'ledger',
    message: /signature/,
  },
  {
    description: 'a mint dropped and re-signed by a quorum: caught where its output is spent',
    blocks: () => rewriteHistory(honest, 3, () => [], quorum(federation)),
    height: 5,
    check: 'ledger',
    message: /not in the UTXO set/,
  },
  {
    description: 'a Bitcoin deposit minted twice, re-signed by a quorum',
    blocks: () => rewriteHistory(honest, 4, (txs) => [...txs, mint(1, 500_000n)], quorum(federation)),
    height: 4,
    check: 'ledger',
    message: /already minted/,
  },
  {
    description: 'a block that does not link to its parent',
    blocks: () => [honest[0]!, signedBlock({ ...honest[1]!.header, previousHash: new Uint8Array(32).fill(7) }, honest[1]!.transactions, quorum(federation))],
    height: 2,
    check: 'block',
    message: /does not link to the block before it/,
  },
  {
    description: 'a block no later than its parent',
    blocks: () => [honest[0]!, signedBlock({ ...honest[1]!.header, timeMs: honest[0]!.header.timeMs }, honest[1]!.transactions, quorum(federation))],
    height: 2,
    check: 'block',
    message: /is not after its parent/,
  },
  {
    description: 'a block of another chain run by other keys',
    blocks: () => {
      const other = new SignedChain(testFederation(5));
      other.append([issuance(other.federation.genesis.chainId, alice, 5n).tx]);
      return other.blocks;
    },
    height: 1,
    check: 'finality',
    message: /names another chain/,
  },
  {
    description: 'a block left out: the next one served in its place',
    blocks: () => [honest[0]!, honest[2]!],
    height: 2,
    check: 'block',
    message: /: the member served block 3 where block 2 belongs: a block left out, repeated or out of order$/,
  },
  {
    description: 'a block served twice',
    blocks: () => [honest[0]!, honest[1]!, honest[1]!],
    height: 3,
    check: 'block',
    message: /: the member served block 2 where block 3 belongs/,
  },
  {
    description: 'two blocks served in each other\'s place',
    blocks: () => [honest[0]!, honest[2]!, honest[1]!],
    height: 2,
    check: 'block',
    message: /: the member served block 3 where block 2 belongs/,
  },
  {
    description: 'bytes that are no block',
    blocks: () => [{ block: Uint8Array.from([1, 2, 3]), commit: honest[0]!.commit }],
    height: 1,
    check: 'block',
    message: /cannot decode/,
  },
  {
    description: 'a certificate that does not decode',
    blocks: () => [{ block: honest[0]!.block, commit: honest[0]!.commit.subarray(0, 10) }],
    height: 1,
    check: 'finality',
    message: /cannot decode commit certificate/,
  },
  {
    description: 'a certificate repeating the quorum of another round for this block',
    blocks: () => [{ block: honest[0]!.block, commit: encodeCommit({ ...signCommit(honest[0]!.header, quorum(federation), 1), round: 0 }) }],
    height: 1,
    check: 'finality',
    message: /invalid signature/,
  },
];

describe('chain auditor (the pure core of strongbox audit)', () => {
  it('passes an honest history and reports what it claims about Bitcoin', () => {
    const { auditor, audited } = audit(honest);
    expect(auditor.height).to.equal(5);
    expect(Buffer.from(auditor.hashAt(5)!).equals(Buffer.from(honest[4]!.hash))).to.equal(true);
    expect(audited.map((block) => block.transactions)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(audited[2]!.mints.map((claim) => ({ height: claim.height, amount: claim.mint.amount, vout: claim.mint.bitcoinVout }))).to.deep.equal([{ height: 3, amount: 500_000n, vout: 0 }]);
    expect(audited[3]!.anchors).to.deep.equal([{ height: 4, timeMs: honest[3]!.header.timeMs, anchoredHeight: 2, blockHash: honest[1]!.hash, bitcoinTxid: Buffer.from(anchorRecord(chainId, 2, honest[1]!.hash).bitcoinTxid).toString('hex') }]);
    expect(auditor.supply).to.deep.equal({ minted: 500_000n, burned: 0n });
  });

  it('counts the blocks with transactions after the last anchored height, leaving out those of anchor records alone', () => {
    const { audited } = audit(honest);
    const following = (blocks: readonly AuditedBlock[]) => {
      const unanchored = new UnanchoredBlocks();
      for (const block of blocks) unanchored.add(block);
      return unanchored.unanchored;
    };
    expect(following(audited.slice(0, 2))).to.deep.equal({ blocks: 2, oldestHeight: 1, oldestTimeMs: honest[0]!.header.timeMs });
    // Block 4 anchors height 2 and holds nothing else: blocks 3 and 5 remain.
    expect(following(audited)).to.deep.equal({ blocks: 2, oldestHeight: 3, oldestTimeMs: honest[2]!.header.timeMs });
    const anchoredTip = rewriteHistory(honest, 5, () => [anchorRecord(chainId, 4, honest[3]!.hash)], quorum(federation));
    expect(following(audit(anchoredTip).audited)).to.deep.equal({ blocks: 0, oldestHeight: null, oldestTimeMs: null });
  });

  it('accepts a certificate with every member and one of a later round', () => {
    const everyone = federation.keys.map((keys, memberIndex) => ({ memberIndex, seed: keys.blockSeed }));
    const chain = new SignedChain(federation);
    chain.append([issuance(chainId, alice, 1n).tx], everyone);
    const late = signedBlock(chain.blocks[0]!.header, chain.blocks[0]!.transactions, quorum(federation), 3);
    expect(decodeCommit(late.commit).round).to.equal(3);
    expect(audit([late]).auditor.height).to.equal(1);
    expect(audit(chain.blocks).auditor.height).to.equal(1);
  });

  it('passes a mint whose amount a quorum changed, leaving it to the Bitcoin check, with the changed amount in its claim', () => {
    const { audited } = audit(rewriteHistory(honest.slice(0, 4), 3, () => [mint(1, 5_000_000n)], quorum(federation)));
    expect(audited[2]!.mints[0]!.mint.amount).to.equal(5_000_000n);
  });

  for (const tampering of tamperings) {
    it(`fails at the first altered height: ${tampering.description}`, () => {
      const blocks = tampering.blocks();
      const auditor = new ChainAuditor(federation.genesis);
      let failure: unknown;
      try {
        for (const { block, commit } of blocks) auditor.apply(block, commit);
      } catch (error) {
        failure = error;
      }
      expect(failure).to.be.instanceOf(AuditFailure);
      const { height, check, message } = failure as AuditFailure;
      expect({ height, check }).to.deep.equal({ height: tampering.height, check: tampering.check });
      expect(message).to.match(tampering.message).and.to.match(new RegExp(`^audit failed at height ${tampering.height}: ${tampering.check}: `));
      expect(auditor.height, 'nothing of the failing block is applied').to.equal(tampering.height - 1);
    });
  }

  it('changes nothing on a refused block: the honest one is accepted after it', () => {
    const auditor = new ChainAuditor(federation.genesis);
    auditor.apply(honest[0]!.block, honest[0]!.commit);
    auditor.apply(honest[1]!.block, honest[1]!.commit);
    const forged = rewriteHistory(honest, 3, (txs) => [...txs, mint(1, 1n)], quorum(federation))[2]!;
    expect(() => auditor.apply(forged.block, forged.commit)).to.throw(AuditFailure, /already minted/);
    expect(auditor.supply).to.deep.equal({ minted: 0n, burned: 0n });
    auditor.apply(honest[2]!.block, honest[2]!.commit);
    expect(auditor.supply).to.deep.equal({ minted: 500_000n, burned: 0n });
  });
});
