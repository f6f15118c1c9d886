import { expect } from 'chai';
import { createGenesisFile, encodeGenesis, parseGenesis, type GenesisFile } from '../../sidechain/genesis.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { fromHex, independentTaggedHash, readVectors, toHex, type GenesisVectors } from '../helpers/block-vectors.ts';

const vectors = readVectors<GenesisVectors>('genesis.json');

/** The genesis layout of docs/PROTOCOL.md Part II, written out with plain buffers. */
function specGenesisBytes(file: GenesisFile): Uint8Array {
  const u = (bytes: number, value: bigint | number) => fromHex(BigInt(value).toString(16).padStart(bytes * 2, '0'));
  const str = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    expect(bytes.length).to.be.below(128, 'a one-byte varint length');
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  };
  return Buffer.concat([
    u(1, file.version),
    str(file.network),
    str(file.bitcoinNetwork),
    u(8, BigInt(file.genesisTimeMs)),
    Buffer.from([file.members.length]),
    ...file.members.flatMap((member) => [str(member.name), fromHex(member.blockKey), fromHex(member.pegKey)]),
    u(2, file.threshold),
    u(4, file.pegin.confirmations),
    u(8, BigInt(file.pegin.feeSats)),
    u(8, BigInt(file.pegin.minimumSats)),
    u(8, BigInt(file.pegout.minimumSats)),
    u(4, file.pegout.fallbackFeeRateSatPerVb),
    u(4, file.pegout.circuitBreakerBasisPoints),
    u(4, file.anchor.intervalBlocks),
    u(4, file.anchor.intervalSeconds),
  ]);
}

function edited(edits: GenesisVectors['invalid'][number]['edits']): unknown {
  const file = structuredClone(vectors.valid[0]!.file) as Record<string | number, unknown>;
  for (const edit of edits) {
    let target = file;
    for (const key of edit.path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    const last = edit.path[edit.path.length - 1]!;
    if (edit.delete) delete target[last];
    else target[last] = edit.value;
  }
  return file;
}

describe('genesis vectors', () => {
  for (const vector of vectors.valid) {
    it(`${vector.description}: canonical bytes, chain id and member set hash`, () => {
      const genesis = parseGenesis(vector.file);
      expect(toHex(encodeGenesis(genesis.file))).to.equal(vector.canonical);
      expect(toHex(specGenesisBytes(genesis.file))).to.equal(vector.canonical);
      expect(toHex(genesis.chainId)).to.equal(vector.chainId);
      expect(toHex(independentTaggedHash('Strongbox/chain', fromHex(vector.canonical)))).to.equal(vector.chainId);
      const count = Buffer.from([genesis.members.keys.length]);
      const threshold = fromHex(genesis.file.threshold.toString(16).padStart(4, '0'));
      expect(toHex(independentTaggedHash('Strongbox/members', threshold, count, ...genesis.members.keys))).to.equal(vector.memberSetHash);
      expect(toHex(genesis.memberSetHash)).to.equal(vector.memberSetHash);
    });
  }

  for (const vector of vectors.invalid) {
    it(`refuses ${vector.description}`, () => {
      expect(() => parseGenesis(edited(vector.edits))).to.throw(ValidationError, vector.error);
    });
  }
});

describe('genesis', () => {
  const file = vectors.valid[0]!.file as GenesisFile;

  it('gives members their index by position: reordering the members makes another chain and member set', () => {
    const reordered = { ...file, members: [...file.members.slice(1), file.members[0]!] };
    expect(toHex(parseGenesis(reordered).chainId)).to.not.equal(toHex(parseGenesis(file).chainId));
    expect(toHex(parseGenesis(reordered).memberSetHash)).to.not.equal(toHex(parseGenesis(file).memberSetHash));
  });

  it('defaults to the smallest k above 2n/3, 2 confirmations off mainnet and 102 on it', () => {
    const members = file.members;
    const make = (n: number, bitcoinNetwork: GenesisFile['bitcoinNetwork']) => createGenesisFile({ network: 'n', bitcoinNetwork, members: members.slice(0, n), genesisTimeMs: 1n });
    expect([1, 2, 3, 4, 5].map((n) => make(n, 'regtest').threshold)).to.deep.equal([1, 2, 3, 3, 4]);
    expect(make(5, 'regtest').pegin.confirmations).to.equal(2);
    expect(make(5, 'mainnet').pegin.confirmations).to.equal(102);
    for (let n = 1; n <= 5; n++) parseGenesis(make(n, 'testnet'));
  });

  it('refuses what is not an object with one clear error', () => {
    expect(() => parseGenesis('genesis')).to.throw(ValidationError, /^genesis file: /);
    expect(() => parseGenesis(null)).to.throw(ValidationError, /^genesis file: /);
  });
});
