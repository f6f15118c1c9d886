import { dirname, resolve } from 'node:path';
import { ValidationError } from '../../sidechain/errors.ts';
import { fileErrorReason } from '../file-error-reason.ts';
import { InUseError, takePidLock, type PidLock } from '../pid-lock.ts';

/** The errno codes of a folder this process may not create a file in. */
const FOLDER_NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Runs `work` while this process holds the wallet, in `<wallet file>.lock`. Every command that
 * spends the wallet's coins or writes its offer records (send, pegout, dividend, dvp offer, accept
 * and cancel) holds it from reading the coins until its spend is final and recorded: the coins a
 * member lists are final ones, so a command run meanwhile would choose a coin the first is
 * spending (refused as a double spend, or an offer's split coin gone) or give one coin to two
 * offers. A second one is refused at once, naming the process that holds the wallet.
 *
 * A wallet in a folder this process cannot write (a read-only medium, another user's folder) is
 * refused before anything is read or sent, saying so: the lock file must sit beside the wallet for
 * every command using that file to see it, and spending without it would give up that guard
 * unawares.
 */
export async function withWalletLock<T>(walletFile: string, work: () => Promise<T>): Promise<T> {
  let lock: PidLock;
  try {
    lock = takePidLock(`${walletFile}.lock`, (holder) => new InUseError(`wallet ${walletFile} is in use by another strongbox command (pid ${holder}): run this one again once that has finished`));
  } catch (error) {
    const { code } = (error ?? {}) as NodeJS.ErrnoException;
    if (typeof code !== 'string' || !FOLDER_NOT_WRITABLE.has(code)) throw error;
    throw new ValidationError(
      'wallet-folder-not-writable',
      `wallet ${walletFile}: cannot write its lock file ${walletFile}.lock in ${dirname(resolve(walletFile))} (${fileErrorReason(error)}): a command that spends the wallet's coins holds the wallet in that file beside it while it runs, so that no other command spends the same coins; move the wallet to a folder you can write, or make this one writable; nothing was sent`,
    );
  }
  try {
    return await work();
  } finally {
    lock.release();
  }
}
