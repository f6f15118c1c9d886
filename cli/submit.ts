import { MemberApiError, type MemberClient } from '../federation/api/client.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { toHex, txId } from '../sidechain/transaction/ids.ts';
import type { Transaction } from '../sidechain/transaction/types.ts';
import { stderrLines } from './stderr-line.ts';
import { DEFAULT_WAIT_SECONDS } from './command-options.ts';
import { NotFinalError } from './not-final-error.ts';
import { genesisFrom, type NetworkOptions } from './member-url.ts';

/**
 * A member's refusals of a transaction it already holds. The same command run again while the
 * first's transaction is pending (the first was interrupted, or run from a copy of the wallet
 * file, which the wallet lock does not see) builds the same bytes (the same coins, deterministic
 * signatures), and a transaction is applied once: the second run sent nothing, though the
 * member's word alone reads like its success.
 */
const SENT_BEFORE = new Set(['already-pending', 'already-final']);

/** How a command submits its transaction: what its progress says first, and what the same command line does run again. */
export interface Submission {
  /** The first words of the progress line: `submitted` unless said otherwise (`burned in`). */
  done?: string;
  /** What the same command line does when run again once the transaction is final, after "running it again": `sends another payment`. */
  rerun: string;
  /**
   * What the command goes on to do once its transaction is final, when a transaction the members
   * already hold is its to go on from rather than to refuse: `dvp offer`'s coin split, which an
   * earlier run of the same command line sent before it was interrupted, and after which the offer
   * is still to be made (`makes the offer`).
   */
  resumes?: string;
}

/** --json, and --wait's seconds (DEFAULT_WAIT_SECONDS when absent; 0 waits not at all); the network options name the genesis the transaction was signed for. */
export interface SubmitOptions extends NetworkOptions {
  json?: boolean;
  wait?: number;
}

/** A submitted transaction, with its height once final; without one, the command did not wait (--wait 0). */
export interface Submitted {
  txid: string;
  height: number | undefined;
}

/** How a command's result says where its transaction is: final at its height, or pending when the command did not wait. */
export function finality({ txid, height }: Submitted): string {
  return height === undefined ? `pending, not waited for (\`strongbox tx ${txid}\` says when it is final)` : `final at height ${height}`;
}

/**
 * What the same command line does run again, said whenever a command stops before its transaction
 * is final. Every command builds its transaction from what the chain holds final (the wallet's
 * coins, oldest first; the issuer's count of securities under an ISIN; an asset's registry
 * sequence) and signs it deterministically: while the first is pending, that is unchanged, and the
 * command builds the very same transaction, which the members take once. Once it is final, what the
 * chain holds has moved on, and what a run again does is the command's own.
 */
function rerunWords(txid: string, submission: Submission): string {
  return `run again while ${txid} is pending, the same command line builds this very transaction, which the chain applies once${goesOn(submission)}; once it is final, running it again ${submission.rerun}`;
}

/** What the same command line run again while its transaction is pending does after building it, when it resumes from it. */
function goesOn(submission: Submission): string {
  return submission.resumes ? `, waits for it and ${submission.resumes}` : '';
}

/**
 * Submits a signed transaction and waits until it is final, for --wait's seconds from the last
 * time it sent it (none: it returns once a member has taken it), with progress on stderr unless
 * --json: `<done> <txid>, waiting for finality…`. A transaction the members already hold is
 * refused, saying that nothing new was sent, unless the submission resumes it (waited for alike).
 * Its txid is known before it is sent (the same coins, deterministic signatures), so a member
 * lost while taking it or while it is waited on leaves the other members to ask, and a command
 * that cannot tell names the txid to check.
 */
export async function submitUntilFinal(client: MemberClient, tx: Transaction, options: SubmitOptions, submission: Submission): Promise<Submitted> {
  const txid = toHex(txId(tx));
  // Asked before sending: once sent, a member lost while taking it leaves the others holding it
  // with no word of who sent it first, and an earlier run's transaction would read as this one's.
  const heldBefore = await isHeld(client, txid).catch((error: unknown) => {
    // One the member dropped before (invalid then) is sent again, for the member to judge anew.
    if (error instanceof MemberApiError && error.code === 'dropped') return false;
    throw error;
  });
  const sentBefore = heldBefore || !(await send(client, tx, txid, options));
  const said = sentBefore ? 'already submitted' : (submission.done ?? 'submitted');
  const wait = options.wait ?? DEFAULT_WAIT_SECONDS;
  const height = wait === 0 ? undefined : await waitUntilFinal(client, tx, txid, { json: options.json, waitMs: wait * 1000, said }, submission);
  if (sentBefore && !submission.resumes) {
    const state = height === undefined ? `: nothing new was sent; \`strongbox tx ${txid}\` says whether it is final` : ` and is final at height ${height}: nothing new was sent`;
    throw new ValidationError('already-submitted', `this very transaction, ${txid}, was already submitted (an identical one was sent before or at the same time)${state}`);
  }
  return { txid, height };
}

/** Sends the transaction; false when the member answers that it holds it already, sent by another run. */
async function send(client: MemberClient, tx: Transaction, txid: string, options: SubmitOptions): Promise<boolean> {
  try {
    await client.submit(tx);
    return true;
  } catch (error) {
    if (!(error instanceof MemberApiError)) throw error;
    if (error.code === 'bad-signature') throw (await otherChain(client, options)) ?? error;
    // The wallet chose among final coins; one a pending transaction spends (a command that gave up
    // waiting for a block, another run at the same time) is refused until that one is final.
    if (error.code === 'double-spend') {
      throw new ValidationError('double-spend', `${error.message}, waiting for its block: nothing was sent; run this again once that one is final (\`strongbox status\` shows the pending transactions and whether blocks are being made)`);
    }
    if (error.code === 'member-unreachable') {
      await submitAgainUnlessHeld(client, tx, txid, error);
      return true;
    }
    if (SENT_BEFORE.has(error.code)) return false;
    throw error;
  }
}

/**
 * A signature is over the chain id of the genesis file given: one of another chain's (kept from an
 * earlier network, say) signs for that chain, and the member's refusal names only the signature.
 */
async function otherChain(client: MemberClient, options: SubmitOptions): Promise<ValidationError | undefined> {
  const ours = toHex(genesisFrom(options).chainId);
  const served = (await client.status()).chainId;
  if (served === ours) return undefined;
  return new ValidationError('wrong-chain', `the member at ${client.baseUrl} serves chain ${served}, not chain ${ours} of the genesis file given, which the transaction was signed for: nothing was sent; name that member's genesis file with --genesis`);
}

/**
 * Waits until the transaction is final, `<said> <txid>, waiting for finality…` on stderr meanwhile
 * unless --json; its height. A member that stops answering leaves the waiting to the next one the
 * client knows, which is given the transaction when it does not know it: the member that took it
 * may have gone before passing it on, and the chain applies it once. A wait that ends before the
 * transaction is final ends the command with a NotFinalError: it may still become final.
 */
async function waitUntilFinal(client: MemberClient, tx: Transaction, txid: string, wait: { json?: boolean; waitMs: number; said: string }, submission: Submission): Promise<number> {
  // Listening before the line is shown: a Ctrl-C prompted by the line finds the listener.
  const stopSaying = sayWhenInterrupted(txid, submission);
  if (!wait.json) stderrLines.startProgress(`${wait.said} ${txid}, waiting for finality`, `waiting for finality of ${txid}`);
  const final = await client
    .waitForFinal(txid, { timeoutMs: wait.waitMs, onWait: wait.json ? undefined : () => stderrLines.addProgress('.'), onUnknown: () => sendAgain(client, tx) })
    .catch((error: unknown) => {
      if (!(error instanceof MemberApiError)) throw error;
      if (error.code === 'timeout') throw new NotFinalError('not-final', `${error.message}; it may still become final (\`strongbox tx ${txid}\` says when; --wait <seconds> waits longer): ${rerunWords(txid, submission)}`);
      if (error.code !== 'member-unreachable') throw error;
      throw new NotFinalError(
        'member-unreachable',
        `${error.message} while waiting: ${txid} was submitted and may be final without this command: \`strongbox tx ${txid} --member <another member>\` says (final: done, and running the same command line again ${submission.rerun}; pending: it waits for its block, and the same command line run again builds this very transaction${goesOn(submission)}; not found: the member went away before passing it on, and the command may be run again)`,
      );
    })
    .finally(() => {
      stopSaying();
      // The progress line ends before whatever comes next, an error included.
      stderrLines.end();
    });
  return final.height!;
}

/** Sends the transaction again; a member that holds it already, from any sender, is as good. */
async function sendAgain(client: MemberClient, tx: Transaction): Promise<void> {
  await client.submit(tx).catch((error: unknown) => {
    if (!(error instanceof MemberApiError && SENT_BEFORE.has(error.code))) throw error;
  });
}

/** Whether the member asked (the next one, when it does not answer) holds the transaction, pending or final. */
function isHeld(client: MemberClient, txid: string): Promise<boolean> {
  return client.transaction(txid).then(
    () => true,
    (error: unknown) => {
      if (error instanceof MemberApiError && error.status === 404 && error.code !== 'dropped') return false;
      throw error;
    },
  );
}

/**
 * A member that went away while taking the transaction may have admitted it, and relayed it to the
 * others, or not: the members are asked for it, and it is sent again when none holds it, which
 * the chain applies once. One that holds it has it from this run (or from an identical one sent at
 * the same time): none held it when this run asked before sending.
 */
async function submitAgainUnlessHeld(client: MemberClient, tx: Transaction, txid: string, lost: MemberApiError): Promise<void> {
  try {
    if (await isHeld(client, txid)) return;
    await sendAgain(client, tx);
  } catch (error) {
    if (!(error instanceof MemberApiError && error.code === 'member-unreachable')) throw error;
    throw new ValidationError('submission-unknown', `${lost.message} while taking ${txid}, and no member answered whether it holds it: it may have been submitted; \`strongbox tx ${txid}\` says whether it is pending or final: check that before running the command again`);
  }
}

/**
 * Ctrl-C stops the waiting, not the transaction, which the members hold and make final without
 * this command: said, with what the same command line does run again before and after that, or a
 * user who sees no result runs it again not knowing whether that pays twice.
 */
function sayWhenInterrupted(txid: string, submission: Submission): () => void {
  const interrupted = () => {
    stderrLines.end();
    process.stderr.write(`strongbox: interrupted while waiting: ${txid} was submitted and becomes final without this command (\`strongbox tx ${txid}\` says when); ${rerunWords(txid, submission)}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  return () => process.off('SIGINT', interrupted);
}
