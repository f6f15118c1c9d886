import { expect } from 'chai';
import { blockHash } from '../../sidechain/block-header.ts';
import type { Block } from '../../sidechain/block.ts';
import { FinalityError, type CommitCertificate } from '../../sidechain/commit.ts';
import { sha256 } from '../../sidechain/hash.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { buildInclusionProof, inclusionProofFromJson, inclusionProofToJson, verifyInclusionProof, type InclusionProof } from '../../sidechain/inclusion-proof.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import type { Transaction } from '../../sidechain/transaction/types.ts';
import { bitcoinTxid, btcOutput, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { toHex, vectorGenesis } from '../helpers/block-vectors.ts';
import { testFederation } from '../helpers/genesis.ts';
import { genesisParent, nextHeader, signCommit } from '../helpers/signed-blocks.ts';

/** Any of the error classes a proof is refused with. */
type ErrorClass = abstract new (...args: never[]) => ValidationError;

const genesis = vectorGenesis();
// The seeds behind the vector genesis' block keys (test/vectors/commit.json).
const seeds = [0, 1, 2, 3, 4].map((i) => sha256(new TextEncoder().encode(`Strongbox test vector block key ${i}`)));
const alice = testKey(1);

function pegin(n: number): Transaction {
  return { kind: 'pegin', bitcoinTxid: bitcoinTxid(n), bitcoinVout: 0, amount: BigInt(n) * 1000n, recipient: alice.owner, witnesses: [] };
}

function finalBlock(transactions: Transaction[], signers = [0, 1, 3, 4]): { block: Block; commit: CommitCertificate } {
  const header = nextHeader(genesis, genesisParent(genesis), transactions);
  return { block: { header, transactions }, commit: signCommit(header, signers.map((i) => ({ memberIndex: i, seed: seeds[i]! })), 2) };
}

const transfer = signedTransfer([{ txid: txId(pegin(1)), index: 0 }], [btcOutput(testKey(2).owner, 600n), btcOutput(alice.owner, 400n)], alice.seed);
const transactions = [pegin(1), pegin(2), transfer, pegin(3), pegin(4), pegin(5), pegin(6)];
const { block, commit } = finalBlock(transactions);
const throughJson = (proof: InclusionProof) => inclusionProofFromJson(JSON.parse(JSON.stringify(inclusionProofToJson(proof))));

describe('standalone inclusion proof', () => {
  it('proves every transaction of a final block after a round trip through JSON, with the genesis alone', () => {
    transactions.forEach((tx, index) => {
      const verified = verifyInclusionProof(throughJson(buildInclusionProof(block, commit, index)), genesis);
      expect(toHex(verified.txId)).to.equal(toHex(txId(tx)));
      expect(verified.height).to.equal(1);
      expect(toHex(verified.blockHash)).to.equal(toHex(blockHash(block.header)));
      expect(verified.transaction).to.deep.equal(tx);
    });
  });

  it('proves the only transaction of a block with an empty path', () => {
    const single = finalBlock([pegin(9)]);
    const proof = buildInclusionProof(single.block, single.commit, 0);
    expect(proof.path).to.have.length(0);
    verifyInclusionProof(throughJson(proof), genesis);
  });

  it('refuses to build a proof for a position the block does not have', () => {
    expect(() => buildInclusionProof(block, commit, 7)).to.throw(RangeError, 'no transaction 7');
  });

  const proof = buildInclusionProof(block, commit, 2);
  const tampered: Array<[string, () => InclusionProof, ErrorClass, string]> = [
    ['another transaction of the block at the same index', () => ({ ...proof, transaction: transactions[3]! }), ValidationError, 'does not lead to the Merkle root'],
    ['a transaction the block does not hold', () => ({ ...proof, transaction: pegin(99) }), ValidationError, 'does not lead to the Merkle root'],
    ['the wrong index', () => ({ ...proof, index: 3 }), ValidationError, 'does not lead to the Merkle root'],
    ['an index beyond the block', () => ({ ...proof, index: 7 }), ValidationError, 'outside a tree of 7 leaves'],
    ['a flipped bit in a sibling', () => ({ ...proof, path: proof.path.map((h, i) => (i === 1 ? Uint8Array.from(h, (b, j) => (j === 0 ? b ^ 0x80 : b)) : h)) }), ValidationError, 'does not lead to the Merkle root'],
    ['a missing sibling', () => ({ ...proof, path: proof.path.slice(0, -1) }), ValidationError, 'shorter than the tree is deep'],
    ['an extra sibling', () => ({ ...proof, path: [...proof.path, proof.header.txRoot] }), ValidationError, 'longer than the tree is deep'],
    ['a header claiming another transaction count', () => ({ ...proof, header: { ...proof.header, txCount: 8 } }), FinalityError, 'invalid signature'],
    ['a header with another transaction root', () => ({ ...proof, header: { ...proof.header, txRoot: new Uint8Array(32) } }), FinalityError, 'invalid signature'],
    ['k − 1 signatures', () => ({ ...proof, commit: { ...commit, signatures: commit.signatures.slice(1) } }), FinalityError, '3 signatures, 4 required'],
    ['a certificate of another round', () => ({ ...proof, commit: { ...commit, round: 3 } }), FinalityError, 'invalid signature'],
  ];
  for (const [what, build, errorClass, message] of tampered) {
    it(`refuses a proof with ${what}`, () => {
      expect(() => verifyInclusionProof(throughJson(build()), genesis)).to.throw(errorClass, message);
    });
  }

  it('refuses a proof of another chain, even one whose members hold the same keys', () => {
    const sister = { ...genesis, chainId: sha256(genesis.chainId) };
    expect(() => verifyInclusionProof(proof, sister)).to.throw(FinalityError, 'another chain').with.property('reason', 'wrong-chain');
    expect(() => verifyInclusionProof(proof, testFederation(5).genesis)).to.throw(FinalityError, 'another chain');
  });

  const json = inclusionProofToJson(proof);
  const malformed: Array<[string, unknown, ErrorClass, string]> = [
    ['a document that is not an object', 'proof', ValidationError, 'inclusion proof document'],
    ['an unknown version', { ...json, version: 2 }, ValidationError, 'inclusion proof version'],
    ['a file of another kind (a wallet)', { version: 1, seed: '00'.repeat(32) }, ValidationError, 'not an inclusion proof: it has no "header" (a proof is what `strongbox proof` writes)'],
    ['a missing commit', { ...json, commit: undefined }, ValidationError, 'inclusion proof commit'],
    ['an unknown field', { ...json, note: 'x' }, ValidationError, 'Unrecognized key'],
    ['uppercase hex', { ...json, header: json.header.toUpperCase() }, ValidationError, 'inclusion proof header: expected lowercase hex'],
    ['a path hash of 31 bytes', { ...json, path: [json.path[0]!.slice(2), ...json.path.slice(1)] }, ValidationError, 'inclusion proof path.0'],
    ['a fractional index', { ...json, index: 1.5 }, ValidationError, 'inclusion proof index'],
    ['a truncated header', { ...json, header: json.header.slice(0, -2) }, DecodeError, 'cannot decode block header: truncated'],
    ['a truncated transaction', { ...json, transaction: json.transaction.slice(0, -2) }, DecodeError, 'truncated'],
    ['a commit with trailing bytes', { ...json, commit: `${json.commit}00` }, DecodeError, 'trailing'],
  ];
  for (const [what, input, errorClass, message] of malformed) {
    it(`refuses to read a proof document with ${what}`, () => {
      expect(() => inclusionProofFromJson(input)).to.throw(errorClass, message).with.property('code');
    });
  }
});
