import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBlock } from '../../sidechain/block.ts';
import { encodeCommit } from '../../sidechain/commit.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { testFederation } from '../helpers/genesis.ts';
import { issuance, testWallet, transfer } from '../helpers/transactions.ts';
import { nextHeader, quorum, SignedChain, signCommit, signedBlock, type SignedBlock } from '../helpers/signed-blocks.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * The block and certificate a member serves at GET /chain/blocks/<height>, checked offline against
 * the genesis: what an auditor holding two final blocks of one height (two histories) shows with.
 */
describe('strongbox verify-block', () => {
  const federation = testFederation(5);
  const { genesis } = federation;
  const alice = testWallet();
  const bob = testWallet();
  let folder: string;
  let genesisFile: string;
  let chain: SignedChain;

  /** The block as the member's API answers, written to a file of its own. */
  const served = (name: string, block: Pick<SignedBlock, 'header' | 'block' | 'commit'>, height = block.header.height): string => {
    const file = join(folder, name);
    writeFileSync(file, JSON.stringify({ height, block: hex(block.block), commit: hex(block.commit) }));
    return file;
  };
  const verify = (file: string, ...flags: string[]) => runCliInProcess(['verify-block', file, '--genesis', genesisFile, ...flags], { cwd: folder, env: {} });

  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'strongbox-verify-block-'));
    genesisFile = join(folder, 'genesis.json');
    writeFileSync(genesisFile, JSON.stringify(genesis.file));
    chain = new SignedChain(federation);
    const issued = issuance(genesis.chainId, alice, 1_000n);
    chain.append([issued.tx]);
    chain.append([transfer(genesis.chainId, alice, { txid: txId(issued.tx), index: 0, amount: 1_000n }, issued.asset, bob.owner, 400n)]);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('says a block is final: its hash, the members whose signatures the certificate holds, its transactions; --json for scripts', async () => {
    const block = chain.blocks[1]!;
    const file = served('block-2.json', block);
    const human = await verify(file);
    expect([human.code, human.stderr]).to.deep.equal([0, '']);
    expect(human.stdout).to.equal(
      [
        `valid: block 2 ${hex(block.hash)} is final on chain test (${hex(genesis.chainId)})`,
        'signed by 4 members of 5 (4 required) in round 0: 0 (member-0), 1 (member-1), 2 (member-2), 3 (member-3)',
        `1 transaction under its transaction root; previous block ${hex(chain.blocks[0]!.hash)}; dated ${new Date(Number(block.header.timeMs)).toISOString()}`,
        '',
      ].join('\n'),
    );
    const json = await verify(file, '--json');
    expect(json.code).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      valid: true,
      height: 2,
      blockHash: hex(block.hash),
      previousHash: hex(chain.blocks[0]!.hash),
      timeMs: block.header.timeMs.toString(),
      round: 0,
      signers: [0, 1, 2, 3],
      transactions: [hex(txId(block.transactions[0]!))],
    });
  });

  it('refuses, with one line, exit 1 and { valid: false } for --json, a block that is not final or not what its header signs', async () => {
    const block = chain.blocks[1]!;
    const minority = signedBlock(block.header, block.transactions, quorum(federation).slice(0, 3));
    const other = testFederation(5);
    const foreign = new SignedChain(other).append(block.transactions);
    const forged = signedBlock(block.header, block.transactions, [...quorum(federation).slice(0, 3), { memberIndex: 4, seed: other.keys[4]!.blockSeed }]);
    // The header a quorum signed, served with another body: the signatures do not cover these transactions.
    const swappedBody = { header: block.header, block: encodeBlock({ header: block.header, transactions: chain.blocks[0]!.transactions }), commit: block.commit };
    const refusals: [string, string, string][] = [
      [served('minority.json', minority), 'not-final', 'block 2 is not final: 3 signatures, 4 required'],
      [served('forged.json', forged), 'not-final', 'block 2 is not final: invalid signature of member 4'],
      [served('foreign.json', foreign), 'not-final', `block 1 is not final: the header names another chain: ${hex(other.genesis.chainId)}, not ${hex(genesis.chainId)} of the genesis`],
      [served('swapped.json', swappedBody), 'bad-block', "block 2's transactions are not those its header commits to: the certificate signs the header, not these transactions"],
      [served('height.json', block, 3), 'bad-block', `${join(folder, 'height.json')} says height 3, its block is of height 2`],
    ];
    const wallet = join(folder, 'wallet.json');
    writeFileSync(wallet, JSON.stringify({ seed: 'ab'.repeat(32) }));
    refusals.push([wallet, 'bad-block', `${wallet} is not a block as a member serves it at GET /chain/blocks/<height> (height: Invalid input: expected number, received undefined)`]);
    const notFound = join(folder, 'block-99.json');
    writeFileSync(notFound, JSON.stringify({ error: { code: 'not-found', message: 'block 99 not found' } }));
    refusals.push([notFound, 'bad-block', `${notFound} holds a member's error answer, not a block: block 99 not found`]);
    for (const [file, code, message] of refusals) {
      const human = await verify(file);
      expect([human.code, human.stdout, human.stderr], file).to.deep.equal([1, '', `strongbox: ${message}\n`]);
      const json = await verify(file, '--json');
      expect([json.code, JSON.parse(json.stdout)], file).to.deep.equal([1, { valid: false, error: { code, message } }]);
    }
  });

  it('checks a certificate of a later round, and one with every member, as the audit does', async () => {
    const block = chain.blocks[0]!;
    const everyone = federation.keys.map((keys, memberIndex) => ({ memberIndex, seed: keys.blockSeed }));
    const header = nextHeader(genesis, { height: 0, hash: block.header.previousHash, timeMs: block.header.timeMs - 1n }, block.transactions);
    const late = { header, block: encodeBlock({ header, transactions: block.transactions }), commit: encodeCommit(signCommit(header, everyone, 3)) };
    const result = await verify(served('late.json', late));
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include('signed by 5 members of 5 (4 required) in round 3: 0 (member-0), 1 (member-1), 2 (member-2), 3 (member-3), 4 (member-4)\n');
  });
});
