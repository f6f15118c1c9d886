import { expect } from 'chai';
import * as ed from '@noble/ed25519';
import { blockHash, decodeHeader, encodeHeader, HEADER_LENGTH, type BlockHeader } from '../../sidechain/block-header.ts';
import { checkBlockAgainstParent, decodeBlock, encodeBlock, transactionRoot, BlockError } from '../../sidechain/block.ts';
import { decodeCommit, encodeCommit, FinalityError, verifyCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { signMessage } from '../../sidechain/ed25519.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { createGenesisFile, parseGenesis } from '../../sidechain/genesis.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { testFederation } from '../helpers/genesis.ts';

const { genesis, keys } = testFederation(5);

function header(overrides: Partial<BlockHeader> = {}): BlockHeader {
  return {
    version: 1,
    chainId: genesis.chainId,
    height: 1,
    previousHash: genesis.chainId,
    timeMs: genesis.timeMs + 1n,
    txRoot: transactionRoot([]),
    txCount: 0,
    proposer: 1,
    memberSetHash: genesis.memberSetHash,
    ...overrides,
  };
}

function commitBy(members: number[], target: BlockHeader, round = 0, signBytes = voteSignBytes(genesis.chainId, VoteType.Precommit, target.height, round, blockHash(target))): CommitCertificate {
  return { round, signatures: members.map((memberIndex) => ({ memberIndex, signature: signMessage(keys[memberIndex]!.blockSeed, signBytes) })) };
}

const parent = { chainId: genesis.chainId, height: 0, hash: genesis.chainId, timeMs: genesis.timeMs, memberSetHash: genesis.memberSetHash, memberCount: 5 };

describe('block header and block', () => {
  it('encodes a header in exactly HEADER_LENGTH bytes and decodes it back', () => {
    const bytes = encodeHeader(header());
    expect(bytes.length).to.equal(HEADER_LENGTH);
    expect(encodeHeader(decodeHeader(bytes))).to.deep.equal(bytes);
  });

  it('refuses truncated and over-long encodings with a decode error', () => {
    const bytes = encodeBlock({ header: header(), transactions: [] });
    expect(() => decodeBlock(bytes.subarray(0, bytes.length - 1))).to.throw(DecodeError);
    expect(() => decodeBlock(new Uint8Array([...bytes, 0]))).to.throw(DecodeError, /trailing/);
    expect(() => decodeBlock(new Uint8Array(3))).to.throw(DecodeError, /truncated/);
  });

  it('accepts a block that links to its parent', () => {
    checkBlockAgainstParent({ header: header(), transactions: [] }, parent);
  });

  const broken: Array<[string, Partial<BlockHeader>, RegExp]> = [
    ['another chain', { chainId: new Uint8Array(32) }, /another chain/],
    ['a skipped height', { height: 2 }, /does not follow/],
    ['a wrong parent', { previousHash: new Uint8Array(32) }, /does not link/],
    ['a time not after the parent', { timeMs: genesis.timeMs }, /not after/],
    ['another member set', { memberSetHash: new Uint8Array(32) }, /another member set/],
    ['an unknown proposer', { proposer: 5 }, /unknown proposer/],
    ['a wrong transaction count', { txCount: 1 }, /counts 1 transactions/],
    ['a wrong transaction root', { txRoot: new Uint8Array(32) }, /root does not match/],
  ];
  for (const [what, overrides, message] of broken) {
    it(`refuses a block with ${what}`, () => {
      expect(() => checkBlockAgainstParent({ header: header(overrides), transactions: [] }, parent)).to.throw(BlockError, message);
    });
  }
});

describe('commit certificate (finality)', () => {
  const target = header();
  const hash = blockHash(target);

  it('accepts k valid precommits, and independent Ed25519 agrees with each signature', async () => {
    const commit = commitBy([0, 2, 3, 4], target);
    verifyCommit(genesis.chainId, 1, hash, commit, genesis.members);
    const signBytes = voteSignBytes(genesis.chainId, VoteType.Precommit, 1, 0, hash);
    for (const { memberIndex, signature } of commit.signatures) {
      expect(await ed.verifyAsync(signature, signBytes, genesis.members.keys[memberIndex]!)).to.equal(true);
    }
  });

  it('round-trips through its canonical encoding, sorted by member', () => {
    const commit = commitBy([4, 0, 2, 3], target, 7);
    const decoded = decodeCommit(encodeCommit(commit));
    expect(decoded.round).to.equal(7);
    expect(decoded.signatures.map((s) => s.memberIndex)).to.deep.equal([0, 2, 3, 4]);
    verifyCommit(genesis.chainId, 1, hash, decoded, genesis.members);
  });

  const refused: Array<[string, () => CommitCertificate, RegExp]> = [
    ['k − 1 signatures', () => commitBy([0, 1, 2], target), /3 signatures, 4 required/],
    ['a member counted twice', () => ({ round: 0, signatures: [...commitBy([0, 1, 2], target).signatures, commitBy([2], target).signatures[0]!] }), /member 2 signed twice/],
    ['a signature for another round', () => ({ round: 1, signatures: commitBy([0, 1, 2, 3], target, 0).signatures }), /invalid signature of member 0/],
    ['a signature for another height', () => commitBy([0, 1, 2, 3], target, 0, voteSignBytes(genesis.chainId, VoteType.Precommit, 2, 0, hash)), /invalid signature/],
    ['a prevote in place of a precommit', () => commitBy([0, 1, 2, 3], target, 0, voteSignBytes(genesis.chainId, VoteType.Prevote, 1, 0, hash)), /invalid signature/],
    ['an outsider', () => ({ round: 0, signatures: [...commitBy([0, 1, 2], target).signatures, { memberIndex: 9, signature: new Uint8Array(64) }] }), /unknown member 9/],
  ];
  for (const [what, build, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => verifyCommit(genesis.chainId, 1, hash, build(), genesis.members)).to.throw(FinalityError, message);
    });
  }
});

describe('genesis', () => {
  const file = genesis.file;

  it('derives the same chain id from the same file, and another from any change', () => {
    expect(parseGenesis(structuredClone(file)).chainId).to.deep.equal(genesis.chainId);
    expect(parseGenesis({ ...file, network: 'other' }).chainId).to.not.deep.equal(genesis.chainId);
  });

  it('defaults to k = 4 of 5 and 2 regtest confirmations, 102 on mainnet', () => {
    expect(file.threshold).to.equal(4);
    expect(file.pegin.confirmations).to.equal(2);
    expect(createGenesisFile({ network: 'm', bitcoinNetwork: 'mainnet', members: file.members, genesisTimeMs: 1n }).pegin.confirmations).to.equal(102);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['a threshold of 2n/3', { ...file, threshold: 3 }, /threshold: must satisfy 2n\/3 < k <= n for n = 5; got 3/],
    ['a threshold above n', { ...file, threshold: 6 }, /threshold: must satisfy/],
    ['a short block key', { ...file, members: [{ ...file.members[0]!, blockKey: 'ab' }, ...file.members.slice(1)] }, /members\.0\.blockKey: expected a Ed25519 public key/],
    ['an uncompressed peg key prefix', { ...file, members: [{ ...file.members[0]!, pegKey: `04${file.members[0]!.pegKey.slice(2)}` }, ...file.members.slice(1)] }, /pegKey: a compressed key starts with 02 or 03/],
    ['a duplicate member key', { ...file, members: [...file.members.slice(0, 4), { ...file.members[0]!, name: 'copy' }] }, /duplicate blockKey/],
    ['an unknown field', { ...file, extra: true }, /Unrecognized key/],
  ];
  for (const [what, json, message] of invalid) {
    it(`refuses ${what}`, () => {
      expect(() => parseGenesis(json)).to.throw(ValidationError, message);
    });
  }
});
