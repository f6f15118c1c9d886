import { expect } from 'chai';
import { blockHash, decodeHeader, encodeHeader, HEADER_LENGTH, type BlockHeader } from '../../sidechain/block-header.ts';
import { checkBlockAgainstParent, decodeBlock, encodeBlock, transactionRoot, BlockError } from '../../sidechain/block.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { witnessTxId } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { btcOutput, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { fromHex, headerFromJson, independentTaggedHash, readVectors, toHex, vectorGenesis, type HeaderJson } from '../helpers/block-vectors.ts';
import { genesisParent, nextHeader } from '../helpers/signed-blocks.ts';

const vectors = readVectors<{
  valid: { description: string; header: HeaderJson; encoding: string; hash: string }[];
  invalid: { description: string; encoding: string; error: string }[];
}>('block-header.json');

/** The header layout of docs/PROTOCOL.md Part II, written out with plain buffers. */
function specHeaderBytes(header: BlockHeader): Uint8Array {
  const fixed = Buffer.alloc(8 + 8 + 4 + 2);
  fixed.writeBigUInt64BE(BigInt(header.height), 0);
  fixed.writeBigUInt64BE(header.timeMs, 8);
  fixed.writeUInt32BE(header.txCount, 16);
  fixed.writeUInt16BE(header.proposer, 20);
  return Buffer.concat([Buffer.from([header.version]), header.chainId, fixed.subarray(0, 8), header.previousHash, fixed.subarray(8, 16), header.txRoot, fixed.subarray(16), header.memberSetHash]);
}

describe('block header vectors', () => {
  for (const vector of vectors.valid) {
    it(`${vector.description}: encoding and hash`, () => {
      const header = headerFromJson(vector.header);
      expect(toHex(encodeHeader(header))).to.equal(vector.encoding);
      expect(toHex(specHeaderBytes(header))).to.equal(vector.encoding);
      expect(decodeHeader(fromHex(vector.encoding))).to.deep.equal(header);
      expect(toHex(blockHash(header))).to.equal(vector.hash);
      expect(toHex(independentTaggedHash('Strongbox/block', fromHex(vector.encoding)))).to.equal(vector.hash);
    });
  }

  it('hashes a header once, and a header built from it with one field changed anew', () => {
    const header = headerFromJson(vectors.valid[0]!.header);
    const hash = blockHash(header);
    expect(blockHash(header)).to.equal(hash);
    const next = { ...header, height: header.height + 1 };
    expect(toHex(blockHash(next))).to.equal(toHex(independentTaggedHash('Strongbox/block', specHeaderBytes(next))));
    expect(toHex(blockHash(next))).to.not.equal(toHex(hash));
  });

  for (const vector of vectors.invalid) {
    it(`refuses to decode a header ${vector.description}`, () => {
      expect(() => decodeHeader(fromHex(vector.encoding))).to.throw(DecodeError, vector.error);
    });
  }

  it('refuses to encode a header with a hash field of the wrong length or an unsafe height', () => {
    const header = headerFromJson(vectors.valid[0]!.header);
    expect(() => encodeHeader({ ...header, txRoot: new Uint8Array(31) })).to.throw(TypeError, 'txRoot must be 32 bytes');
    expect(() => encodeHeader({ ...header, chainId: new Uint8Array(33) })).to.throw(TypeError, 'chainId must be 32 bytes');
    expect(() => encodeHeader({ ...header, height: 2 ** 53 })).to.throw(TypeError, 'height');
  });
});

const genesis = vectorGenesis();

function header(overrides: Partial<BlockHeader> = {}): BlockHeader {
  return { ...nextHeader(genesis, genesisParent(genesis), [], 1), ...overrides };
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
    ['a wrong transaction count', { txCount: 1 }, /header counts 1 transaction, body has 0$/],
    ['a wrong transaction root', { txRoot: new Uint8Array(32) }, /root does not match/],
  ];
  for (const [what, overrides, message] of broken) {
    it(`refuses a block with ${what}`, () => {
      expect(() => checkBlockAgainstParent({ header: header(overrides), transactions: [] }, parent)).to.throw(BlockError, message);
    });
  }

  describe('transactions a reader already holds', () => {
    const alice = testKey(1);
    const payments = [1, 2, 3].map((n) => signedTransfer([{ txid: new Uint8Array(32).fill(n), index: 0 }], [btcOutput(alice.owner, BigInt(n))], alice.seed));
    const held = new Map(payments.slice(0, 2).map((tx) => [toHex(witnessTxId(tx)), tx]));
    const blockOf = (transactions: Transaction[]) => encodeBlock({ header: header({ txCount: transactions.length, txRoot: transactionRoot(transactions) }), transactions });

    it('are taken as they are, by witness id, and the others decoded, with the same root', () => {
      const decoded = decodeBlock(blockOf(payments), (id) => held.get(id));
      expect(decoded.transactions[0]).to.equal(payments[0]);
      expect(decoded.transactions[1]).to.equal(payments[1]);
      expect(decoded.transactions[2]).to.not.equal(payments[2]);
      expect(decoded.transactions[2]).to.deep.equal(payments[2]);
      checkBlockAgainstParent(decoded, parent);
    });

    it('give every transaction the witness id of its bytes, decoded or held', () => {
      for (const tx of decodeBlock(blockOf(payments), (id) => held.get(id)).transactions) {
        expect(toHex(witnessTxId(tx))).to.equal(toHex(independentTaggedHash('Strongbox/wtx', encodeTransaction(tx))));
      }
    });

    it('do not hide a transaction the block repeats', () => {
      const repeated = decodeBlock(blockOf([payments[0]!, payments[0]!]), (id) => held.get(id));
      expect(() => checkBlockAgainstParent(repeated, parent)).to.throw(BlockError, /repeats a transaction/);
    });
  });
});
