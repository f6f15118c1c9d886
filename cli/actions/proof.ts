import { existsSync, statSync } from 'node:fs';
import { ValidationError } from '../../sidechain/errors.ts';
import { inclusionProofFromJson, verifyInclusionProof } from '../../sidechain/inclusion-proof.ts';
import { describeTransaction } from '../../federation/api/transaction-view.ts';
import { readJsonFile } from '../../federation/json-file.ts';
import { writeNewFile, writeRefusal } from '../../federation/write-file.ts';
import { txId } from '../../sidechain/transaction/ids.ts';
import { addressOfScript } from '../../watcher/bitcoin-address.ts';
import { bitcoinNetwork } from '../../watcher/networks.ts';
import { GENESIS_ONLY, genesisFrom, memberClientFrom, type NetworkOptions } from '../member-url.ts';
import { printResult, toJson } from '../output.ts';
import { parseTxid } from '../command-arguments.ts';
import { MemberApiError, orphanReason, type MemberClient } from '../../federation/api/client.ts';
import { describeSats } from '../asset-amount.ts';

/**
 * The proof of `txid`; a transaction still waiting for its block has none yet, and is named as
 * such with when to ask again, as an id the chain does not know is.
 */
async function proofOf(client: MemberClient, txid: string): Promise<unknown> {
  try {
    return await client.inclusionProof(txid);
  } catch (error) {
    if (!(error instanceof MemberApiError && error.status === 404)) throw error;
    const known = await client.transaction(txid).catch((unknown: unknown) => {
      if (unknown instanceof MemberApiError && unknown.code === 'not-found') return undefined;
      throw unknown;
    });
    // Final since the proof was asked for: it has one now.
    if (known?.status === 'final') return client.inclusionProof(txid);
    if (known?.status === 'orphan') throw new ValidationError('not-final', `${txid} is not final: ${orphanReason(client.baseUrl, known.waitingFor ?? [])}; its proof exists once it is final (\`strongbox tx ${txid}\` says when)`);
    if (known) throw new ValidationError('not-final', `${txid} is pending, waiting for its block: its proof exists once it is final (\`strongbox tx ${txid}\` says when)`);
    throw new ValidationError('not-found', `no transaction ${txid} on this chain: a proof is of a sidechain transaction (the txid send or pegout printed), not of a Bitcoin one`);
  }
}

export async function exportProof(txidArgument: string, options: NetworkOptions & { out?: string; force?: boolean; json?: boolean }): Promise<void> {
  const txid = parseTxid(txidArgument);
  // A folder is no file to replace, --force or not: said before the member is asked.
  if (options.out !== undefined && existsSync(options.out) && statSync(options.out).isDirectory()) throw writeRefusal(options.out, 'it is a folder: --out names the file to write');
  // A proof kept may be the only one of its burn a user holds: replacing it is asked for by name.
  if (options.out !== undefined && !options.force && existsSync(options.out)) {
    throw new ValidationError('exists', `${options.out} already exists; refusing to overwrite it (add --force to replace it, or choose another --out)`);
  }
  const client = memberClientFrom(options);
  const answer = await proofOf(client, txid);
  // The file is checked against the genesis later, by whoever holds it; what it proves is checked here.
  const proven = Buffer.from(txId(inclusionProofFromJson(answer).transaction)).toString('hex');
  if (proven !== txid) throw new ValidationError('wrong-proof', `the member at ${client.baseUrl} answered with the proof of transaction ${proven}, not ${txid}`);
  const proof = JSON.stringify(answer, null, 2);
  if (!options.out) return console.log(proof);
  writeNewFile(options.out, `${proof}\n`, { replace: options.force === true });
  printResult(options, `wrote ${options.out}`, { txid, file: options.out });
}

export function verifyProof(file: string, options: NetworkOptions & { json?: boolean; txid?: string }): void {
  const expected = options.txid === undefined ? undefined : parseTxid(options.txid, '--txid');
  const genesis = genesisFrom(options, GENESIS_ONLY);
  let verified: ReturnType<typeof verifyInclusionProof>;
  try {
    const json = readJsonFile(file, (reason) => new ValidationError('bad-proof', reason));
    verified = verifyInclusionProof(inclusionProofFromJson(json), genesis);
    const proven = Buffer.from(verified.txId).toString('hex');
    if (expected !== undefined && expected !== proven) throw new ValidationError('wrong-proof', `${file} proves transaction ${proven}, not ${expected}`);
  } catch (error) {
    // A script reads stdout: a proof refused is a verdict, as a valid one is, never nothing.
    if (options.json && error instanceof ValidationError) console.log(toJson({ valid: false, error: { code: error.code, message: error.message } }));
    throw error;
  }
  const txid = Buffer.from(verified.txId).toString('hex');
  const transaction = describeTransaction(verified.transaction);
  const burn = verified.transaction.kind === 'pegout' ? verified.transaction : undefined;
  const burnLine = burn ? `\nburn: ${describeSats(burn.amount)} to ${addressOfScript(burn.destinationScript, bitcoinNetwork(genesis.file.bitcoinNetwork)) ?? `script ${Buffer.from(burn.destinationScript).toString('hex')}`}` : '';
  printResult(options, `valid: transaction ${txid} (${verified.transaction.kind}) is final at height ${verified.height} in block ${Buffer.from(verified.blockHash).toString('hex')}${burnLine}`, {
    valid: true,
    txid,
    height: verified.height,
    blockHash: Buffer.from(verified.blockHash).toString('hex'),
    transaction: JSON.parse(toJson(transaction)) as unknown,
  });
}
