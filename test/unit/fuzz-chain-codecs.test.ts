import { expect } from 'chai';
import fc from 'fast-check';
import { addressPayload, encodeAddress, ownerFromPayload } from '../../sidechain/address.ts';
import { issuedAssetId } from '../../sidechain/asset.ts';
import { blockHash, decodeHeader, encodeHeader, type BlockHeader } from '../../sidechain/block-header.ts';
import { checkBlockAgainstParent, decodeBlock, encodeBlock, type Block } from '../../sidechain/block.ts';
import { decodeCommit, encodeCommit, verifyCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { signMessage } from '../../sidechain/ed25519.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import { buildInclusionProof, inclusionProofFromJson, inclusionProofToJson, verifyInclusionProof, type InclusionProofJson } from '../../sidechain/inclusion-proof.ts';
import { executeBlock, LedgerState } from '../../sidechain/ledger/index.ts';
import { Mempool } from '../../sidechain/mempool.ts';
import { checkTransaction } from '../../sidechain/transaction/check.ts';
import { decodeTransaction, encodeTransaction } from '../../sidechain/transaction/codec.ts';
import { txId, txInfo } from '../../sidechain/transaction/ids.ts';
import { keyWitness } from '../../sidechain/transaction/signing.ts';
import type { RegistryBody, Transaction } from '../../sidechain/transaction/types.ts';
import { VoteType, voteSignBytes } from '../../sidechain/vote.ts';
import { fromHex, headerFromJson, readVectors, toHex, vectorGenesis, type HeaderJson } from '../helpers/block-vectors.ts';
import { acceptOrRefuse, expectCanonicalOrRefused, fuzz, fuzzRuns, hostileBytes, hostileJson, mutatedBytes, refuses } from '../helpers/fuzz.ts';
import { testFederation } from '../helpers/genesis.ts';
import { btcOutput, CHAIN_ID, context, mint, signedTransfer, testKey } from '../helpers/ledger-fixtures.ts';
import { encodedAfresh } from '../helpers/reencode.ts';
import { genesisParent, nextHeader } from '../helpers/signed-blocks.ts';
import { issuance, type TestWallet } from '../helpers/transactions.ts';

const RUNS = fuzzRuns(10_000);

const vectorTransactions = readVectors<{ valid: { hex: string }[] }>('transaction.json').valid.map((v) => fromHex(v.hex));
const vectorHeaders = readVectors<{ valid: { header: HeaderJson }[] }>('block-header.json').valid.map((v) => encodeHeader(headerFromJson(v.header)));
interface CommitJson {
  round: number;
  signatures: { memberIndex: number; signature: string }[];
}
const commitVectors = readVectors<{ headers: Record<string, HeaderJson>; valid: { header: number; commit: CommitJson }[] }>('commit.json');
const commitOf = (json: CommitJson): CommitCertificate => ({ round: json.round, signatures: json.signatures.map((s) => ({ memberIndex: s.memberIndex, signature: fromHex(s.signature) })) });

/**
 * A ledger with coins, an issued asset and its issuer, and valid transactions that spend them:
 * mutations of these reach every rule of the ledger, signatures included, not only the decoder.
 */
function ledgerWithSpendableTransactions(): { ledger: LedgerState; valid: Transaction[] } {
  const ledger = new LedgerState();
  const alice = testKey(1);
  const bob = testKey(2);
  const coins = [1, 2].map((n) => mint(ledger, alice.owner, 50_000n, n));
  const issuer: TestWallet = { keys: { seed: bob.seed, publicKey: bob.publicKey }, owner: bob.owner, address: '' };
  const issued = issuance(CHAIN_ID, issuer, 1_000n);
  const applied = executeBlock(ledger, [issued.tx], context(1));
  applied.view.commit(ledger);
  const registry: RegistryBody = { kind: 'registry', asset: issuedAssetId(bob.publicKey, 1n), sequence: 1n, action: 'add', owners: [alice.owner] };
  const pegout = { kind: 'pegout' as const, inputs: [coins[1]!], outputs: [btcOutput(alice.owner, 20_000n)], destinationScript: fromHex(`0014${'ab'.repeat(20)}`), amount: 30_000n };
  return {
    ledger,
    valid: [
      signedTransfer([coins[0]!], [btcOutput(bob.owner, 30_000n), btcOutput(alice.owner, 20_000n)], alice.seed),
      signedTransfer([{ txid: txId(issued.tx), index: 0 }], [btcOutput(alice.owner, 400n, issued.asset), btcOutput(bob.owner, 600n, issued.asset)], bob.seed),
      { ...registry, witnesses: [keyWitness(CHAIN_ID, registry, bob.seed)] },
      { ...pegout, witnesses: [keyWitness(CHAIN_ID, pegout, alice.seed)] },
      issuance(CHAIN_ID, issuer, 7n, 2n).tx,
    ],
  };
}

function ledgerFingerprint(ledger: LedgerState): string {
  return JSON.stringify({ utxos: [...ledger.utxos.keys()].sort(), assets: [...ledger.assets.keys()].sort(), minted: [...ledger.minted].sort(), supply: ledger.supply() }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const federation = testFederation(4);

/** Block 1 of the federation's chain. */
function blockOf(transactions: Transaction[]): Block {
  return { header: nextHeader(federation.genesis, genesisParent(federation.genesis), transactions), transactions };
}

describe(`fuzzing the chain's decoders (${RUNS} cases each)`, function () {
  this.timeout(600_000);
  const { ledger, valid: spendable } = ledgerWithSpendableTransactions();
  const validTransactions = [...vectorTransactions, ...spendable.map(encodeTransaction)];

  it('a transaction decodes to its one canonical encoding or is refused with a typed error, and the mempool changes only for a valid one', () => {
    const before = ledgerFingerprint(ledger);
    fuzz(hostileBytes(validTransactions), RUNS, (bytes) => {
      const tx = acceptOrRefuse(() => decodeTransaction(bytes), ValidationError);
      if (!tx) return;
      expect(toHex(encodedAfresh(tx))).to.equal(toHex(bytes));
      acceptOrRefuse(() => checkTransaction(tx), ValidationError);
      const mempool = new Mempool(ledger, context(2), { maxCount: 100, maxBytes: 1_000_000, maxOutputs: 100_000 });
      const admitted = acceptOrRefuse(() => mempool.add(tx), ValidationError);
      expect(mempool.count).to.equal(admitted === undefined ? 0 : 1);
      if (admitted === undefined) expect(mempool.size).to.equal(0);
    });
    expect(ledgerFingerprint(ledger)).to.equal(before);
  });

  it('a mutated signed transaction is never admitted unless it is byte for byte a valid one', () => {
    const validIds = new Set(spendable.map((tx) => txInfo(tx).idHex));
    fuzz(mutatedBytes(spendable.map(encodeTransaction)), RUNS, (bytes) => {
      const tx = acceptOrRefuse(() => decodeTransaction(bytes), ValidationError);
      if (!tx) return;
      const mempool = new Mempool(ledger, context(2), { maxCount: 100, maxBytes: 1_000_000, maxOutputs: 100_000 });
      if (acceptOrRefuse(() => mempool.add(tx), ValidationError) !== undefined) expect(validIds.has(txInfo(tx).idHex)).to.equal(true);
    });
  });

  it('a block decodes canonically or is refused, and checking and executing it never throws anything but a typed error', () => {
    const before = ledgerFingerprint(ledger);
    const blocks = [blockOf(spendable), blockOf(vectorTransactions.map(decodeTransaction)), blockOf([])];
    const parentOf = (header: BlockHeader) => ({ chainId: header.chainId, height: 0, hash: header.previousHash, timeMs: header.timeMs - 1n, memberSetHash: header.memberSetHash, memberCount: 4 });
    fuzz(hostileBytes(blocks.map(encodeBlock), 2048), RUNS, (bytes) => {
      const block = acceptOrRefuse(() => decodeBlock(bytes), ValidationError);
      if (!block) return;
      // Copies, so that each transaction is encoded from its fields rather than from the bytes it came in.
      expect(toHex(encodeBlock({ header: block.header, transactions: block.transactions.map((tx) => ({ ...tx })) }))).to.equal(toHex(bytes));
      if (refuses(() => checkBlockAgainstParent(block, parentOf(blocks[0]!.header)), ValidationError)) return;
      acceptOrRefuse(() => executeBlock(ledger, block.transactions, context(block.header.height)), ValidationError);
    });
    expect(ledgerFingerprint(ledger)).to.equal(before);
  });

  it('a block header decodes canonically or is refused', () => {
    fuzz(hostileBytes(vectorHeaders, 300), RUNS, (bytes) => expectCanonicalOrRefused(bytes, decodeHeader, encodeHeader, ValidationError));
  });

  it('a commit certificate decodes canonically or is refused, and never makes a block final unless it is genuine', () => {
    const genesis = vectorGenesis();
    const genuine = commitVectors.valid.map((v) => ({ header: headerFromJson(commitVectors.headers[String(v.header)]!), commit: encodeCommit(commitOf(v.commit)) }));
    fuzz(fc.tuple(fc.constantFrom(...genuine), hostileBytes(genuine.map((g) => g.commit))), RUNS, ([{ header, commit: original }, bytes]) => {
      const commit = acceptOrRefuse(() => decodeCommit(bytes), ValidationError);
      if (!commit) return;
      expect(toHex(encodeCommit(commit))).to.equal(toHex(bytes));
      if (refuses(() => verifyCommit(header, commit, genesis), ValidationError)) return;
      // Only the members' own signatures over this block verify: a passing certificate holds nothing else.
      const signedByMember = new Map(decodeCommit(original).signatures.map((s) => [s.memberIndex, toHex(s.signature)]));
      expect(commit.round).to.equal(decodeCommit(original).round);
      for (const { memberIndex, signature } of commit.signatures) expect(toHex(signature)).to.equal(signedByMember.get(memberIndex));
    });
  });

  it('an inclusion proof document is refused with a typed error unless it proves a transaction of the block', () => {
    const transactions = vectorTransactions.map(decodeTransaction);
    const block = blockOf(transactions);
    const hash = blockHash(block.header);
    const signBytes = voteSignBytes(federation.genesis.chainId, VoteType.Precommit, 1, 0, hash);
    const commit: CommitCertificate = { round: 0, signatures: federation.keys.slice(0, 3).map((keys, memberIndex) => ({ memberIndex, signature: signMessage(keys.blockSeed, signBytes) })) };
    const proofs = transactions.map((_, index) => inclusionProofToJson(buildInclusionProof(block, commit, index)));
    const inBlock = new Set(transactions.map((tx, index) => `${index}:${toHex(txId(tx))}`));
    const hexPart = fc.tuple(fc.constantFrom(...proofs), fc.constantFrom('header', 'commit', 'transaction', 'path') as fc.Arbitrary<'header' | 'commit' | 'transaction' | 'path'>, fc.nat()).chain(([proof, part, which]) => {
      const original = part === 'path' ? proof.path[which % Math.max(1, proof.path.length)] ?? '' : proof[part];
      return mutatedBytes([fromHex(original)]).map((bytes): InclusionProofJson => {
        if (part !== 'path') return { ...proof, [part]: toHex(bytes) };
        const path = [...proof.path];
        path[which % Math.max(1, path.length)] = toHex(bytes);
        return { ...proof, path };
      });
    });
    fuzz(fc.oneof(hostileJson(proofs), hexPart), RUNS, (json) => {
      const proof = acceptOrRefuse(() => inclusionProofFromJson(json), ValidationError);
      if (!proof) return;
      const verified = acceptOrRefuse(() => verifyInclusionProof(proof, federation.genesis), ValidationError);
      if (verified) expect(inBlock.has(`${proof.index}:${toHex(verified.txId)}`)).to.equal(true);
    });
  });

  it('an address decodes to an owner payload that encodes back to it, or is refused', () => {
    const addresses = [testKey(1), testKey(2)].map((key) => encodeAddress(ownerFromPayload(key.owner)));
    const text = fc.oneof(
      fc.string({ maxLength: 120 }),
      mutatedBytes(addresses.map((a) => new TextEncoder().encode(a))).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.constantFrom(...addresses).map((a) => a.toUpperCase()),
    );
    fuzz(text, RUNS, (address) => {
      const payload = acceptOrRefuse(() => addressPayload(address), ValidationError);
      if (payload) expect(encodeAddress(ownerFromPayload(payload))).to.equal(address.toLowerCase());
    });
  });
});
