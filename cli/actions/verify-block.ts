import { z } from 'zod';
import { blockHash, type BlockHeader } from '../../sidechain/block-header.ts';
import { decodeBlock, transactionRoot } from '../../sidechain/block.ts';
import { sameBytes } from '../../sidechain/bytes.ts';
import { decodeCommit, verifyCommit, type CommitCertificate } from '../../sidechain/commit.ts';
import { ValidationError } from '../../sidechain/errors.ts';
import type { Genesis } from '../../sidechain/genesis.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { plural } from '../../sidechain/words.ts';
import { readJsonFile } from '../../federation/json-file.ts';
import { GENESIS_ONLY, genesisFrom, type NetworkOptions } from '../member-url.ts';
import { printResult, toJson } from '../output.ts';

const hexBytes = z.string().regex(/^([0-9a-f]{2})+$/, 'expected lowercase hex');
/** GET /chain/blocks/<height>: the block and its commit certificate, each in its canonical encoding. */
const servedBlock = z.object({ height: z.number().int().min(1).max(0xffffffff), block: hexBytes, commit: hexBytes });

/** What a member answers instead, for a height it does not have (404) or any other refusal. */
const servedError = z.object({ error: z.object({ message: z.string() }) });

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

/**
 * A block final under the genesis, checked as the audit checks each block, but alone: the header
 * names the genesis's chain and member set, at least k of its members signed a precommit for the
 * header's hash, and the transactions are those the header's root commits to. What it cannot
 * show alone is the link to the blocks before it; two such blocks at one height prove that a
 * quorum signed two histories (AUDITOR.md, "Auditing continuously").
 */
/** The block in `file`, final under `genesis` with the transactions its header commits to; refused with one ValidationError otherwise. */
function finalBlockIn(file: string, genesis: Genesis): { header: BlockHeader; commit: CommitCertificate; transactions: string[] } {
  const refuse = (reason: string) => new ValidationError('bad-block', reason);
  const json = readJsonFile(file, refuse);
  const answered = servedError.safeParse(json);
  // curl saves a 404 as readily as a block: the member's own words say what happened.
  if (answered.success) throw refuse(`${file} holds a member's error answer, not a block: ${answered.data.error.message}`);
  const parsed = servedBlock.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`${file} is not a block as a member serves it at GET /chain/blocks/<height> (${issue.path.join('.') || 'the document'}: ${issue.message})`);
  }
  const block = decodeBlock(unhex(parsed.data.block));
  const { header } = block;
  if (header.height !== parsed.data.height) throw refuse(`${file} says height ${parsed.data.height}, its block is of height ${header.height}`);
  const commit = decodeCommit(unhex(parsed.data.commit));
  verifyCommit(header, commit, genesis);
  // The signatures are over the header: the body counts only if the header commits to it.
  if (header.txCount !== block.transactions.length || !sameBytes(header.txRoot, transactionRoot(block.transactions))) {
    throw refuse(`block ${header.height}'s transactions are not those its header commits to: the certificate signs the header, not these transactions`);
  }
  return { header, commit, transactions: block.transactions.map((tx) => hex(txId(tx))) };
}

export function verifyBlock(file: string, options: NetworkOptions & { json?: boolean }): void {
  const genesis = genesisFrom(options, GENESIS_ONLY);
  let verified: ReturnType<typeof finalBlockIn>;
  try {
    verified = finalBlockIn(file, genesis);
  } catch (error) {
    // A script reads stdout: a block refused is a verdict, as a valid one is, never nothing.
    if (options.json && error instanceof ValidationError) console.log(toJson({ valid: false, error: { code: error.code, message: error.message } }));
    throw error;
  }
  const { header, commit, transactions } = verified;
  const signers = commit.signatures.map(({ memberIndex }) => memberIndex).sort((a, b) => a - b);
  const names = signers.map((index) => `${index} (${genesis.file.members[index]!.name})`);
  const hash = hex(blockHash(header));
  const time = new Date(Number(header.timeMs)).toISOString();
  printResult(
    options,
    [
      `valid: block ${header.height} ${hash} is final on chain ${genesis.file.network} (${hex(genesis.chainId)})`,
      `signed by ${plural(signers.length, 'member')} of ${genesis.members.keys.length} (${genesis.members.threshold} required) in round ${commit.round}: ${names.join(', ')}`,
      `${plural(transactions.length, 'transaction')} under its transaction root; previous block ${hex(header.previousHash)}; dated ${time}`,
    ].join('\n'),
    { valid: true, height: header.height, blockHash: hash, previousHash: hex(header.previousHash), timeMs: header.timeMs, round: commit.round, signers, transactions },
  );
}
