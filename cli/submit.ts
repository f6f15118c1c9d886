import { MemberApiError, type MemberClient } from '../federation/api/client.ts';
import { ValidationError } from '../sidechain/errors.ts';
import { toHex, txId } from '../sidechain/transaction/ids.ts';
import type { Transaction } from '../sidechain/transaction/types.ts';
import { stderrLines } from './stderr-line.ts';

/**
 * A member's refusals of a transaction it already holds. The same command run again while the
 * first's transaction is pending (the first was interrupted, or run from a copy of the wallet
 * file, which the wallet lock does not see) builds the same bytes (the same coins, deterministic
 * signatures), and a transaction is applied once: the second run sent nothing, though the
 * member's word alone reads like its success.
 */
const SENT_BEFORE = new Set(['already-pending', 'already-final']);

/**
 * Submits a signed transaction and waits until it is final, with progress on stderr unless --json:
 * `<done> <txid>, waiting for finality…`. A transaction the members already hold is refused once
 * it is final, saying that nothing new was sent. Its txid is known before it is sent (the same
 * coins, deterministic signatures), so a member lost while taking it or while it is waited on
 * leaves the other members to ask, and a command that cannot tell names the txid to check.
 */
export async function submitUntilFinal(client: MemberClient, tx: Transaction, options: { json?: boolean }, done = 'submitted'): Promise<{ txid: string; height: number }> {
  const txid = toHex(txId(tx));
  // Asked before sending: once sent, a member lost while taking it leaves the others holding it
  // with no word of who sent it first, and an earlier run's transaction would read as this one's.
  const heldBefore = await isHeld(client, txid).catch((error: unknown) => {
    // One the member dropped before (invalid then) is sent again, for the member to judge anew.
    if (error instanceof MemberApiError && error.code === 'dropped') return false;
    throw error;
  });
  const sentBefore = heldBefore || !(await send(client, tx, txid));
  const height = await waitUntilFinal(client, tx, txid, options, sentBefore ? 'already submitted' : done);
  if (sentBefore) throw new ValidationError('already-submitted', `this very transaction, ${txid}, was already submitted (an identical one was sent before or at the same time) and is final at height ${height}: nothing new was sent`);
  return { txid, height };
}

/** Sends the transaction; false when the member answers that it holds it already, sent by another run. */
async function send(client: MemberClient, tx: Transaction, txid: string): Promise<boolean> {
  try {
    await client.submit(tx);
    return true;
  } catch (error) {
    if (!(error instanceof MemberApiError)) throw error;
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
 * Waits until the transaction is final, `<said> <txid>, waiting for finality…` on stderr meanwhile
 * unless --json; its height. A member that stops answering leaves the waiting to the next one the
 * client knows, which is given the transaction when it does not know it: the member that took it
 * may have gone before passing it on, and the chain applies it once.
 */
async function waitUntilFinal(client: MemberClient, tx: Transaction, txid: string, options: { json?: boolean }, said: string): Promise<number> {
  // Listening before the line is shown: a Ctrl-C prompted by the line finds the listener.
  const stopSaying = sayWhenInterrupted(txid);
  if (!options.json) stderrLines.startProgress(`${said} ${txid}, waiting for finality`, `waiting for finality of ${txid}`);
  const final = await client
    .waitForFinal(txid, { onWait: options.json ? undefined : () => stderrLines.addProgress('.'), onUnknown: () => sendAgain(client, tx) })
    .catch((error: unknown) => {
      if (!(error instanceof MemberApiError && error.code === 'member-unreachable')) throw error;
      throw new ValidationError(
        'member-unreachable',
        `${error.message} while waiting: ${txid} was submitted and may be final without this command: another member's GET /tx/${txid} says (final: done, and running the command again would do it a second time; pending: it waits for its block; not found: the member went away before passing it on, and the command may be run again)`,
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
    throw new ValidationError('submission-unknown', `${lost.message} while taking ${txid}, and no member answered whether it holds it: it may have been submitted; a member's GET /tx/${txid} says whether it is pending or final: check that before running the command again`);
  }
}

/**
 * Ctrl-C stops the waiting, not the transaction, which the members hold and make final without
 * this command: said, or a user who sees no result runs the command again and sends it twice.
 */
function sayWhenInterrupted(txid: string): () => void {
  const interrupted = () => {
    stderrLines.end();
    process.stderr.write(`strongbox: interrupted while waiting: ${txid} was submitted and becomes final without this command (a member's GET /tx/${txid} says when); running the command again would send another\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  return () => process.off('SIGINT', interrupted);
}
