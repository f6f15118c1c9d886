import { expect } from 'chai';
import { blockHash, type BlockHeader } from '../../sidechain/block-header.ts';
import { decodeCommit, encodeCommit, FinalityError, verifyCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { DecodeError } from '../../sidechain/encoding/index.ts';
import { noble } from '../helpers/noble-ed25519.ts';
import { fromHex, headerFromJson, independentTaggedHash, readVectors, toHex, vectorGenesis, type HeaderJson } from '../helpers/block-vectors.ts';

interface CommitJson {
  round: number;
  signatures: { memberIndex: number; signature: string }[];
}
const vectors = readVectors<{
  chainId: string;
  headers: Record<string, HeaderJson>;
  valid: { description: string; header: number; commit: CommitJson; encoding: string; signBytes: string }[];
  invalid: { description: string; header: number; commit: CommitJson; reason: string; error: string }[];
  invalidEncodings: { description: string; encoding: string; error: string }[];
}>('commit.json');

const genesis = vectorGenesis();
const headerOf = (n: number) => headerFromJson(vectors.headers[String(n)]!);
const commitFromJson = (json: CommitJson): CommitCertificate => ({
  round: json.round,
  signatures: json.signatures.map((s) => ({ memberIndex: s.memberIndex, signature: fromHex(s.signature) })),
});

/** The precommit sign bytes of docs/PROTOCOL.md Part II, with an independent tagged hash. */
function specSignBytes(header: BlockHeader, round: number): Uint8Array {
  const fields = Buffer.alloc(13);
  fields.writeUInt8(2, 0);
  fields.writeBigUInt64BE(BigInt(header.height), 1);
  fields.writeUInt32BE(round, 9);
  return independentTaggedHash('Strongbox/vote', header.chainId, fields, blockHash(header));
}

function expectFinalityError(run: () => void, reason: string, message: string): void {
  expect(run).to.throw(FinalityError, message).that.has.property('reason', reason);
}

describe('commit certificate vectors', () => {
  it('belong to the chain of the first genesis vector', () => {
    expect(toHex(genesis.chainId)).to.equal(vectors.chainId);
  });

  for (const vector of vectors.valid) {
    it(`${vector.description}: canonical encoding, final, and every signature valid under @noble/ed25519`, async () => {
      const header = headerOf(vector.header);
      const commit = commitFromJson(vector.commit);
      expect(toHex(encodeCommit(commit))).to.equal(vector.encoding);
      const decoded = decodeCommit(fromHex(vector.encoding));
      expect(decoded.signatures.map((s) => s.memberIndex)).to.deep.equal([...commit.signatures.map((s) => s.memberIndex)].sort((a, b) => a - b));
      verifyCommit(header, decoded, genesis);
      expect(toHex(specSignBytes(header, commit.round))).to.equal(vector.signBytes);
      for (const { memberIndex, signature } of commit.signatures) {
        expect(await noble.verifyAsync(signature, fromHex(vector.signBytes), genesis.members.keys[memberIndex]!)).to.equal(true);
      }
    });
  }

  for (const vector of vectors.invalid) {
    it(`refuses ${vector.description} (${vector.reason})`, () => {
      expectFinalityError(() => verifyCommit(headerOf(vector.header), commitFromJson(vector.commit), genesis), vector.reason, vector.error);
    });
  }

  for (const vector of vectors.invalidEncodings) {
    it(`refuses to decode ${vector.description}`, () => {
      expect(() => decodeCommit(fromHex(vector.encoding))).to.throw(DecodeError, vector.error);
    });
  }
});

describe('finality check', () => {
  const final = vectors.valid[0]!;
  const header = headerOf(final.header);
  const commit = commitFromJson(final.commit);

  it('refuses a header that names another chain, even with the same members', () => {
    const sister = { ...genesis, chainId: new Uint8Array(32).fill(7) };
    expectFinalityError(() => verifyCommit(header, commit, sister), 'wrong-chain', `the header names another chain: ${Buffer.from(header.chainId).toString('hex')}, not ${Buffer.from(sister.chainId).toString('hex')} of the genesis`);
  });

  it('refuses a header that names another member set', () => {
    const changed: BlockHeader = { ...header, memberSetHash: new Uint8Array(32) };
    expectFinalityError(() => verifyCommit(changed, commit, genesis), 'wrong-member-set', 'the header names another member set');
  });

  it('refuses the certificate of one header for any change to that header', () => {
    const changes: Partial<BlockHeader>[] = [{ timeMs: header.timeMs + 1n }, { proposer: 0 }, { txCount: 1 }, { txRoot: new Uint8Array(32) }, { previousHash: new Uint8Array(32) }];
    for (const change of changes) expectFinalityError(() => verifyCommit({ ...header, ...change }, commit, genesis), 'bad-signature', 'invalid signature');
  });

  it('checks the signatures alone when only the block hash is known', () => {
    verifyCommit(genesis.chainId, header.height, blockHash(header), commit, genesis.members);
    expectFinalityError(() => verifyCommit(genesis.chainId, header.height + 1, blockHash(header), commit, genesis.members), 'bad-signature', 'invalid signature of member 0');
  });

  it('names the block height in its message and reports the code not-final', () => {
    const below = { round: 0, signatures: commit.signatures.slice(0, 3) };
    expect(() => verifyCommit(header, below, genesis)).to.throw(FinalityError, 'block 1 is not final: 3 signatures, 4 required').with.property('code', 'not-final');
  });

  it('refuses to encode a signature of the wrong length', () => {
    expect(() => encodeCommit({ round: 0, signatures: [{ memberIndex: 0, signature: new Uint8Array(63) }] })).to.throw(TypeError, /64 bytes/);
  });
});
